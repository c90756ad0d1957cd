import { subscriptionsError } from '../errors.ts'

const STRIPE_ID = /^[A-Za-z0-9_]{1,255}$/

/** Whether `value` has the shape of a Stripe id (`evt_…`, `pi_…`): anything else never reaches a query. */
export const isStripeId = (value: unknown): value is string => typeof value === 'string' && STRIPE_ID.test(value)

/** A Stripe object id (`pi_…`), as an id or an expanded object; anything else is not one. */
export const idOf = (value: unknown): string | undefined => {
  const id = typeof value === 'object' && value && 'id' in value ? value.id : value
  return isStripeId(id) ? id : undefined
}

/** Stripe did not answer (down, timed out after the client's retries): the caller's transaction rolls back, nothing was charged. */
export const providerUnavailable = () =>
  subscriptionsError('payment.provider_unavailable', 'The payment provider did not answer; nothing was charged, try again')
