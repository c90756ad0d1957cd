import type { Logger } from 'pino'
import type Stripe from 'stripe'
import type { ModuleDatabase, Transaction } from '../../../platform/db/database.ts'
import type { Checkout, Purchase, PurchaseKind } from '../purchases.ts'
import type { PaymentLedger } from './payments.ts'
import { providerUnavailable } from './stripe-answers.ts'

const inTransaction = <T>(database: ModuleDatabase, tx: Transaction | undefined, work: (tx: Transaction) => Promise<T>) =>
  tx ? work(tx) : database.transaction(work)

/**
 * The dev provider's payment: recorded and confirmed at once, through the ledger's `confirm`
 * that a verified Stripe event calls too, so activation has no dev-only path.
 */
export async function payAtOnce(tx: Transaction, ledger: PaymentLedger, purchase: Purchase, reference?: string): Promise<string> {
  const paymentId = await ledger.record(tx, purchase, 'dev', reference)
  await ledger.attachCheckout(tx, paymentId, `dev_${paymentId}`, null)
  await ledger.confirm(tx, paymentId)
  return paymentId
}

/** The embedded default's checkout: paid at once (`payAtOnce`). Refused in production by the module's settings. */
export function devCheckout(database: ModuleDatabase, ledger: PaymentLedger): Checkout {
  return (purchase, tx) =>
    inTransaction(database, tx, async (tx) => ({ paymentId: await payAtOnce(tx, ledger, purchase), status: 'succeeded' as const, checkoutUrl: null }))
}

const PRODUCT: Record<PurchaseKind, string> = { subscription: 'Subscription', gift: 'Gift subscriptions', donation: 'Donation' }

/**
 * Stripe Checkout (mode `payment`): the payment is recorded `pending` and the buyer sent to
 * the session's page; the webhook confirms it. The payment id rides in the session
 * (`client_reference_id`, `metadata`) and in its PaymentIntent's and charges' metadata, so
 * every event about it names it. A subscription's checkout saves the card for the renewals to
 * charge off-session, as the buyer's Stripe customer (made by the first checkout, reused after).
 */
export function stripeCheckout(
  database: ModuleDatabase,
  ledger: PaymentLedger,
  stripe: Stripe,
  options: { returnUrl: string; log: Logger },
): Checkout {
  const back = (paymentId: string, outcome: 'success' | 'canceled') => {
    const url = new URL(options.returnUrl)
    url.searchParams.set('payment_id', paymentId)
    url.searchParams.set('checkout', outcome)
    return url.toString()
  }
  return (purchase, tx) =>
    inTransaction(database, tx, async (tx) => {
      const paymentId = await ledger.record(tx, purchase, 'stripe')
      const metadata = { payment_id: paymentId, kind: purchase.kind }
      const customer = await ledger.customerOf(tx, 'stripe', purchase.purchaserId)
      const saving: Partial<Stripe.Checkout.SessionCreateParams> =
        purchase.kind === 'subscription' ? (customer ? { customer } : { customer_creation: 'always' }) : {}
      let session: Stripe.Checkout.Session
      try {
        session = await stripe.checkout.sessions.create(
          {
            mode: 'payment',
            client_reference_id: paymentId,
            metadata,
            ...saving,
            payment_intent_data: { metadata, ...(purchase.kind === 'subscription' && { setup_future_usage: 'off_session' as const }) },
            line_items: [
              {
                quantity: 1,
                price_data: {
                  currency: purchase.currency.toLowerCase(),
                  unit_amount: purchase.amount,
                  product_data: { name: PRODUCT[purchase.kind] },
                },
              },
            ],
            success_url: back(paymentId, 'success'),
            cancel_url: back(paymentId, 'canceled'),
          },
          // The payment's own key: a retry after a lost answer gets the same session.
          { idempotencyKey: `checkout-${paymentId}` },
        )
      } catch (error) {
        options.log.error({ err: error, paymentId }, 'Stripe did not open a checkout session')
        throw providerUnavailable()
      }
      await ledger.attachCheckout(tx, paymentId, session.id, session.url)
      return { paymentId, status: 'pending' as const, checkoutUrl: session.url }
    })
}
