import type { Logger } from 'pino'
import Stripe from 'stripe'
import type { Transaction } from '../../../platform/db/database.ts'
import type { Charge, Purchase } from '../purchases.ts'
import { payAtOnce } from './checkout.ts'
import type { PaymentLedger, SavedCard } from './payments.ts'
import { idOf, providerUnavailable } from './stripe-answers.ts'

/** The dev provider's renewal: paid at once, as its checkout is. */
export function devCharge(ledger: PaymentLedger): Charge {
  return async (purchase, reference, tx) => ({ paymentId: await payAtOnce(tx, ledger, purchase, reference), status: 'succeeded' })
}

/**
 * Stripe's renewal: an off-session PaymentIntent (`confirm`, `off_session`) on the card the
 * subscription's checkout saved (or the setup of its continuation), under an Idempotency-Key of the period it pays, so a job that
 * retries after a lost answer gets the same PaymentIntent, never a second charge. Stripe's
 * answer settles it at once when it can: succeeded confirms (the webhook's
 * `payment_intent.succeeded` then finds nothing to do), a decline (a card error) fails it; a
 * payment still processing is read again (a replayed answer may be stale), then waits for the
 * webhook. Stripe unreachable: `provider_unavailable`, the job's transaction rolls back and its
 * next run asks again under the same key, with the same amount (the renewal's first attempt's).
 * The key refused as used with other parameters (`idempotency_error`) fails the renewal, not retried.
 */
export function stripeCharge(ledger: PaymentLedger, stripe: Stripe, log: Logger): Charge {
  /** An object as Stripe holds it now. */
  const read = async <T>(id: string, retrieve: (id: string) => Promise<T>) => {
    try {
      return await retrieve(id)
    } catch (error) {
      log.error({ err: error, id }, 'Stripe did not tell an object of ours')
      throw providerUnavailable()
    }
  }
  const current = (paymentIntent: string) => read(paymentIntent, (id) => stripe.paymentIntents.retrieve(id))
  /** The saved card's payment method; when no event named it, its PaymentIntent's (a payment's) or SetupIntent's (a setup's). */
  const cardOf = async (saved: SavedCard) => {
    if (saved.paymentMethod) return saved.paymentMethod
    if (saved.paymentIntent) return idOf((await current(saved.paymentIntent)).payment_method)
    if (saved.setupIntent) return idOf((await read(saved.setupIntent, (id) => stripe.setupIntents.retrieve(id))).payment_method)
    return undefined
  }

  const declined = async (tx: Transaction, paymentId: string, why: Record<string, unknown>) => {
    log.warn({ paymentId, ...why }, 'a renewal was not paid')
    await ledger.fail(tx, paymentId)
    return { paymentId, status: 'failed' as const }
  }

  const create = (purchase: Purchase, paymentId: string, card: { customer: string; paymentMethod: string }, reference: string) =>
    stripe.paymentIntents.create(
      {
        amount: purchase.amount,
        currency: purchase.currency.toLowerCase(),
        customer: card.customer,
        payment_method: card.paymentMethod,
        off_session: true,
        confirm: true,
        // `off_session` tells the webhook a failure is final (in Checkout the buyer may try another card).
        metadata: { payment_id: paymentId, kind: purchase.kind, off_session: 'true' },
      },
      { idempotencyKey: `charge-${reference}` },
    )

  return async (purchase, reference, tx) => {
    const paymentId = await ledger.record(tx, purchase, 'stripe', reference)
    const saved = await ledger.savedCard(tx, 'stripe', purchase.purchaserId, purchase.broadcasterId)
    const paymentMethod = saved && (await cardOf(saved))
    // A subscription bought before cards were saved, continued before continuing saved one: nothing to charge.
    if (!saved || !paymentMethod) return declined(tx, paymentId, { reason: 'no saved card' })
    let intent: Stripe.PaymentIntent
    try {
      intent = await create(purchase, paymentId, { customer: saved.customer, paymentMethod }, reference)
    } catch (error) {
      if (error instanceof Stripe.errors.StripeIdempotencyError) {
        // The period's key was used with other parameters (a card saved since): Stripe refuses it
        // for good, so asking again would fail every run. Failed as a decline is: access ends at the
        // period's end, a subscribe starts again, a success Stripe reports of the first use still counts.
        log.error({ err: error, paymentId, reference }, 'Stripe refused a renewal charge its key was used for with other parameters')
        return declined(tx, paymentId, { reason: 'idempotency_error' })
      }
      if (!(error instanceof Stripe.errors.StripeCardError)) {
        log.error({ err: error, paymentId }, 'Stripe did not answer a renewal charge')
        throw providerUnavailable()
      }
      const attempted = idOf(error.payment_intent)
      if (attempted) await ledger.attachPaymentIntent(tx, paymentId, attempted)
      return declined(tx, paymentId, { code: error.code, declineCode: error.decline_code })
    }
    // A retried key gets Stripe's first answer, older than the PaymentIntent: a charge processing
    // then may be settled since, its event come while this payment was rolled back (so ignored).
    if (intent.status === 'processing') intent = await current(intent.id)
    await ledger.attachCheckout(tx, paymentId, intent.id, null)
    await ledger.attachPaymentIntent(tx, paymentId, intent.id)
    await ledger.attachPayer(tx, paymentId, { customer: saved.customer, paymentMethod })
    if (intent.status === 'succeeded') {
      await ledger.confirm(tx, paymentId)
      return { paymentId, status: 'succeeded' }
    }
    if (intent.status === 'requires_payment_method' || intent.status === 'canceled') return declined(tx, paymentId, { status: intent.status })
    return { paymentId, status: 'pending' }
  }
}
