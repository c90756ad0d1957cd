import type { Logger } from 'pino'
import type Stripe from 'stripe'
import type { ModuleDatabase, Transaction } from '../../../platform/db/database.ts'
import type { CardSetup, Checkout, Purchase, PurchaseKind } from '../purchases.ts'
import type { PaymentLedger, Provider } from './payments.ts'
import type { CardSetups } from './setups.ts'
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

type StripeOptions = { returnUrl: string; log: Logger }

/** Where Checkout sends the buyer back to: the return URL naming what they were at (`payment_id` or `setup_id`) and how it went. */
const back = (returnUrl: string, named: 'payment_id' | 'setup_id', id: string, outcome: 'success' | 'canceled') => {
  const url = new URL(returnUrl)
  url.searchParams.set(named, id)
  url.searchParams.set('checkout', outcome)
  return url.toString()
}

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
  options: StripeOptions,
): Checkout {
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
            success_url: back(options.returnUrl, 'payment_id', paymentId, 'success'),
            cancel_url: back(options.returnUrl, 'payment_id', paymentId, 'canceled'),
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

/** Continues on the card on file when the buyer saved one for the channel; else `save` saves one first. */
const onFile =
  (ledger: PaymentLedger, setups: CardSetups, provider: Provider, save: CardSetup): CardSetup =>
  async (ask, tx) => {
    if (!(await ledger.savedCard(tx, provider, ask.purchaserId, ask.broadcasterId))) return save(ask, tx)
    await setups.continueOnFile(tx, ask)
    return { status: 'continued' }
  }

/** The dev provider's card setup: saved at once through the setups' `save`, the one a Stripe event about a setup calls too. */
export function devCardSetup(ledger: PaymentLedger, setups: CardSetups): CardSetup {
  return onFile(ledger, setups, 'dev', async (ask, tx) => {
    const setupId = await setups.record(tx, ask, 'dev')
    await setups.attachCheckout(tx, setupId, { reference: `dev_${setupId}`, url: null, customer: `dev_cus_${ask.purchaserId}` })
    await setups.save(tx, setupId, { paymentMethod: `dev_pm_${setupId}` })
    return { status: 'continued' }
  })
}

/**
 * Stripe Checkout in setup mode: a card saved, nothing charged, on the buyer's Stripe customer
 * (made here when they have none, under a key of theirs so a rolled-back retry makes one), for
 * the renewals to charge off-session. The setup id rides in the session (`client_reference_id`,
 * `metadata`) and its SetupIntent's metadata with the subscription it continues, so either event
 * (`checkout.session.completed`, `setup_intent.succeeded`) saves it.
 */
export function stripeCardSetup(ledger: PaymentLedger, setups: CardSetups, stripe: Stripe, options: StripeOptions): CardSetup {
  const customerFor = async (tx: Transaction, purchaserId: string) =>
    (await ledger.customerOf(tx, 'stripe', purchaserId)) ??
    (await stripe.customers.create({ metadata: { user_id: purchaserId } }, { idempotencyKey: `customer-${purchaserId}` })).id
  return onFile(ledger, setups, 'stripe', async (ask, tx) => {
    const setupId = await setups.record(tx, ask, 'stripe')
    const metadata = { setup_id: setupId, subscription_id: ask.subscriptionId }
    let customer: string
    let session: Stripe.Checkout.Session
    try {
      customer = await customerFor(tx, ask.purchaserId)
      session = await stripe.checkout.sessions.create(
        {
          mode: 'setup',
          // Cards only: a card's setup is done when its session completes, where a bank debit's may still be processing.
          payment_method_types: ['card'],
          customer,
          client_reference_id: setupId,
          metadata,
          setup_intent_data: { metadata },
          success_url: back(options.returnUrl, 'setup_id', setupId, 'success'),
          cancel_url: back(options.returnUrl, 'setup_id', setupId, 'canceled'),
        },
        { idempotencyKey: `setup-${setupId}` },
      )
    } catch (error) {
      options.log.error({ err: error, setupId }, 'Stripe did not open a setup session')
      throw providerUnavailable()
    }
    await setups.attachCheckout(tx, setupId, { reference: session.id, url: session.url, customer })
    return { status: 'pending', setupId, checkoutUrl: session.url }
  })
}
