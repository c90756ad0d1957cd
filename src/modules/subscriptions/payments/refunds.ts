import type { Logger } from 'pino'
import type Stripe from 'stripe'
import type { Refunder } from './payments.ts'
import { providerUnavailable } from './stripe-answers.ts'

/** The dev provider gives back at once: nothing to ask anyone. */
export const devRefunder: Refunder = async (_payment, _amount, key) => `dev_${key}`

/**
 * A Stripe refund of part of a payment's PaymentIntent under the step's idempotency key: a
 * transaction that rolls back after it (and its redelivery) asks again and gets the same one.
 */
export function stripeRefunder(stripe: Stripe, log: Logger): Refunder {
  return async (payment, amount, key) => {
    if (!payment.paymentIntent) throw new Error(`a refund of payment ${payment.id}, whose PaymentIntent no event named`)
    try {
      const refund = await stripe.refunds.create(
        { payment_intent: payment.paymentIntent, amount, metadata: { payment_id: payment.id } },
        { idempotencyKey: key },
      )
      return refund.id
    } catch (error) {
      log.error({ err: error, paymentId: payment.id, amount }, 'Stripe did not make a refund')
      throw providerUnavailable()
    }
  }
}
