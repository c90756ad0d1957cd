import type { Logger } from 'pino'
import Stripe from 'stripe'
import type { ModuleDatabase, Transaction } from '../../../platform/db/database.ts'
import { subscriptionsError } from '../errors.ts'
import type { PaymentLedger } from './payments.ts'
import type { CardSetups, SetupCard } from './setups.ts'
import { idOf, isStripeId } from './stripe-answers.ts'

export type WebhookOutcome = 'applied' | 'duplicate' | 'ignored'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
/** Ours only when it is a payment's or setup's id shape: a stranger's metadata never reaches a uuid cast. */
const uuidIn = (...candidates: unknown[]) => candidates.find((c): c is string => typeof c === 'string' && UUID.test(c))
const EVENT_TYPE = /^[a-z_.]{1,100}$/
const upper = (currency: unknown) => (typeof currency === 'string' ? currency.toUpperCase() : undefined)
const positive = (amount: unknown): amount is number => Number.isSafeInteger(amount) && (amount as number) > 0

type Move = {
  paymentId: string
  paymentIntent?: string
  /** What the event says was paid (the whole payment's amount): it must be the checkout's. */
  paid?: { amount: number | null; currency: string | null }
  payer?: { customer?: string; paymentMethod?: string }
}
type Asked =
  | { action: 'confirm' | 'fail'; move: Move }
  | { action: 'refund'; move: Move; refundedTotal: number }
  | { action: 'save'; setupId: string; card: SetupCard }
  | { action: 'expire'; setupId: string }

/** What a Checkout Session in setup mode asks of its card setup: saved once complete, failed once expired. */
const setupAskedBy = (session: Stripe.Checkout.Session, completed: boolean): Asked | undefined => {
  const setupId = uuidIn(session.client_reference_id, session.metadata?.setup_id)
  if (!setupId) return undefined
  if (!completed) return { action: 'expire', setupId }
  // A card's setup session completes once its SetupIntent succeeded; only the SetupIntent's own event names the card.
  return session.status === 'complete' ? { action: 'save', setupId, card: { setupIntent: idOf(session.setup_intent), customer: idOf(session.customer) } } : undefined
}

/**
 * Applies Stripe's events to payments and card setups. Deliveries may repeat and come in any
 * order: each event id is recorded in the transaction of its effect (a repeat finds it and does
 * nothing), and each effect is a conditional move of the payment's or setup's status (a
 * confirmation after the refund, a second `checkout.session.completed`, a `setup_intent.succeeded`
 * after its session's completion, find nothing to move); a refund carries the total refunded so
 * far, of which only what the ledger does not hold yet is recorded.
 */
export function stripeWebhook(
  database: ModuleDatabase,
  ledger: PaymentLedger,
  setups: CardSetups,
  options: { secret: string | undefined; log: Logger },
) {
  const { log } = options

  /** The payment a charge is for: its metadata (charges copy their PaymentIntent's), else the PaymentIntent we saw. */
  const chargePayment = async (tx: Transaction, charge: Stripe.Charge) => {
    const paymentIntent = idOf(charge.payment_intent)
    const paymentId = uuidIn(charge.metadata?.payment_id) ?? (paymentIntent && (await ledger.byPaymentIntent(tx, 'stripe', paymentIntent)))
    return paymentId ? { paymentId, paymentIntent } : undefined
  }

  /** What an event asks of which payment or setup; undefined for events that move none of ours. */
  const askedBy = async (tx: Transaction, event: Stripe.Event): Promise<Asked | undefined> => {
    switch (event.type) {
      case 'checkout.session.completed':
      case 'checkout.session.async_payment_succeeded': {
        const session = event.data.object
        if (session.mode === 'setup') return setupAskedBy(session, true)
        const paymentId = uuidIn(session.client_reference_id, session.metadata?.payment_id)
        // A completed session of a delayed method (a bank debit) is paid later: async_payment_* says how.
        if (!paymentId || session.payment_status !== 'paid') return undefined
        const paymentIntent = idOf(session.payment_intent)
        const paid = { amount: session.amount_total, currency: session.currency }
        return { action: 'confirm', move: { paymentId, paymentIntent, paid, payer: { customer: idOf(session.customer) } } }
      }
      case 'checkout.session.async_payment_failed':
      case 'checkout.session.expired': {
        const session = event.data.object
        if (session.mode === 'setup') return setupAskedBy(session, false)
        const paymentId = uuidIn(session.client_reference_id, session.metadata?.payment_id)
        return paymentId ? { action: 'fail', move: { paymentId } } : undefined
      }
      case 'payment_intent.succeeded': {
        const intent = event.data.object
        const paymentId = uuidIn(intent.metadata?.payment_id)
        if (!paymentId) return undefined
        // The card it was paid with, saved on the customer when the checkout asked to (a subscription's).
        const payer = { customer: idOf(intent.customer), paymentMethod: idOf(intent.payment_method) }
        return { action: 'confirm', move: { paymentId, paymentIntent: idOf(intent.id), paid: { amount: intent.amount_received, currency: intent.currency }, payer } }
      }
      case 'payment_intent.payment_failed': {
        const intent = event.data.object
        const paymentId = uuidIn(intent.metadata?.payment_id)
        // Only an off-session charge (a renewal) fails for good: in Checkout the buyer may try another card.
        if (!paymentId || intent.metadata?.off_session !== 'true') return undefined
        return { action: 'fail', move: { paymentId, paymentIntent: idOf(intent.id) } }
      }
      case 'setup_intent.succeeded': {
        const intent = event.data.object
        const setupId = uuidIn(intent.metadata?.setup_id)
        if (!setupId) return undefined
        return { action: 'save', setupId, card: { setupIntent: idOf(intent.id), customer: idOf(intent.customer), paymentMethod: idOf(intent.payment_method) } }
      }
      case 'charge.refunded': {
        const charge = event.data.object
        if (!positive(charge.amount_refunded)) return undefined
        const move = await chargePayment(tx, charge)
        return move && { action: 'refund', move: { ...move, paid: { amount: charge.amount, currency: charge.currency } }, refundedTotal: charge.amount_refunded }
      }
      default:
        return undefined
    }
  }

  /** Applies one event in one transaction with its record: all of it, or (on a crash) none, redelivered. */
  const apply = (event: Stripe.Event): Promise<WebhookOutcome> =>
    database.transaction(async (tx) => {
      const [fresh] = await tx.sql`
        insert into stripe_webhook_events (event_id, type) values (${event.id}, ${event.type}) on conflict do nothing returning 1`
      if (!fresh) return 'duplicate'
      const asked = await askedBy(tx, event)
      if (!asked) return 'ignored'
      if (asked.action === 'save' || asked.action === 'expire') {
        // An unknown setup (another integration's, a continuation rolled back) moves nothing either.
        const moved = asked.action === 'save' ? await setups.save(tx, asked.setupId, asked.card) : await setups.fail(tx, asked.setupId)
        return moved ? 'applied' : 'ignored'
      }
      const { move } = asked
      const payment = await ledger.find(tx, move.paymentId)
      // A session this installation did not make (another integration on the account, a checkout rolled back).
      if (!payment) return 'ignored'
      const paid = move.paid
      if (paid && (paid.amount !== payment.amount || upper(paid.currency) !== payment.currency)) {
        log.error({ eventId: event.id, paymentId: move.paymentId, paid, expected: payment }, 'a Stripe payment does not match its checkout; left as it was')
        return 'ignored'
      }
      if (move.paymentIntent) await ledger.attachPaymentIntent(tx, move.paymentId, move.paymentIntent)
      if (move.payer) await ledger.attachPayer(tx, move.paymentId, move.payer)
      const moved =
        asked.action === 'refund' ? await ledger.refund(tx, move.paymentId, asked.refundedTotal) : await ledger[asked.action](tx, move.paymentId)
      return moved ? 'applied' : 'ignored'
    })

  return {
    /**
     * Verifies a delivery on its raw body (`Stripe-Signature`, within Stripe's 5-minute
     * tolerance) and applies it; `payment.signature_invalid` before anything is read or written.
     * @example
     * const outcome = await webhook.receive(await c.req.text(), c.req.header('stripe-signature'))
     */
    async receive(rawBody: string, signature: string | undefined): Promise<WebhookOutcome> {
      let event: Stripe.Event
      try {
        // Without a secret (the dev provider) nothing can be verified, so nothing is taken.
        if (!options.secret) throw new Error('this installation takes no Stripe events (no STRIPE_WEBHOOK_SECRET)')
        if (!signature) throw new Error('no Stripe-Signature header')
        event = await Stripe.webhooks.constructEventAsync(rawBody, signature, options.secret)
      } catch (error) {
        throw subscriptionsError('payment.signature_invalid', `Not a delivery signed by Stripe for this endpoint: ${(error as Error).message}`)
      }
      const shaped = isStripeId(event?.id) && typeof event.type === 'string' && EVENT_TYPE.test(event.type)
      if (!shaped || typeof event.data?.object !== 'object' || !event.data.object) {
        throw subscriptionsError('payment.signature_invalid', 'A signed body that is not a Stripe event')
      }
      return apply(event)
    },
  }
}

export type StripeWebhook = ReturnType<typeof stripeWebhook>

/**
 * Forgets Stripe event ids older than 30 days, ten times the 3 days Stripe keeps retrying a
 * delivery, so a redelivery always finds its id; a job of the module's.
 */
export async function pruneWebhookEvents(database: ModuleDatabase): Promise<number> {
  const pruned = await database.sql`delete from stripe_webhook_events where received_at < now() - interval '30 days'`
  return pruned.count
}
