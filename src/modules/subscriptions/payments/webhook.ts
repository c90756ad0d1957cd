import type { Logger } from 'pino'
import Stripe from 'stripe'
import type { ModuleDatabase, Transaction } from '../../../platform/db/database.ts'
import { subscriptionsError } from '../errors.ts'
import type { PaymentLedger } from './payments.ts'

export type WebhookOutcome = 'applied' | 'duplicate' | 'ignored'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
/** Ours only when it is a payment id's shape: a stranger's metadata never reaches a uuid cast. */
const paymentIdIn = (...candidates: unknown[]) => candidates.find((c): c is string => typeof c === 'string' && UUID.test(c))
/** A Stripe object id (`pi_…`), as an id or an expanded object; anything else is not one. */
const idOf = (value: unknown): string | undefined => {
  const id = typeof value === 'object' && value && 'id' in value ? value.id : value
  return typeof id === 'string' && STRIPE_ID.test(id) ? id : undefined
}
const STRIPE_ID = /^[A-Za-z0-9_]{1,255}$/
const EVENT_TYPE = /^[a-z_.]{1,100}$/
const upper = (currency: unknown) => (typeof currency === 'string' ? currency.toUpperCase() : undefined)

type Move = { paymentId: string; paymentIntent?: string; paid?: { amount: number | null; currency: string | null } }

/**
 * Applies Stripe's events to payments. Deliveries may repeat and come in any order: each event
 * id is recorded in the transaction of its effect (a repeat finds it and does nothing), and
 * each effect is a conditional move of the payment's status (a confirmation after the refund,
 * or a second `checkout.session.completed`, finds nothing to move).
 */
export function stripeWebhook(database: ModuleDatabase, ledger: PaymentLedger, options: { secret: string | undefined; log: Logger }) {
  const { log } = options

  /** The payment a charge is for: its metadata (charges copy their PaymentIntent's), else the PaymentIntent we saw. */
  const chargePayment = async (tx: Transaction, charge: Stripe.Charge) => {
    const paymentIntent = idOf(charge.payment_intent)
    const paymentId = paymentIdIn(charge.metadata?.payment_id) ?? (paymentIntent && (await ledger.byPaymentIntent(tx, 'stripe', paymentIntent)))
    return paymentId ? { paymentId, paymentIntent } : undefined
  }

  /** What an event asks of which payment; undefined for events that move no payment of ours. */
  const moveOf = async (tx: Transaction, event: Stripe.Event): Promise<{ action: 'confirm' | 'fail' | 'refund'; move: Move } | undefined> => {
    switch (event.type) {
      case 'checkout.session.completed':
      case 'checkout.session.async_payment_succeeded': {
        const session = event.data.object
        const paymentId = paymentIdIn(session.client_reference_id, session.metadata?.payment_id)
        // A completed session of a delayed method (a bank debit) is paid later: async_payment_* says how.
        if (!paymentId || session.payment_status !== 'paid') return undefined
        const paymentIntent = idOf(session.payment_intent)
        return { action: 'confirm', move: { paymentId, paymentIntent, paid: { amount: session.amount_total, currency: session.currency } } }
      }
      case 'checkout.session.async_payment_failed':
      case 'checkout.session.expired': {
        const session = event.data.object
        const paymentId = paymentIdIn(session.client_reference_id, session.metadata?.payment_id)
        return paymentId ? { action: 'fail', move: { paymentId } } : undefined
      }
      case 'payment_intent.succeeded': {
        const intent = event.data.object
        const paymentId = paymentIdIn(intent.metadata?.payment_id)
        return paymentId
          ? { action: 'confirm', move: { paymentId, paymentIntent: idOf(intent.id), paid: { amount: intent.amount_received, currency: intent.currency } } }
          : undefined
      }
      case 'charge.refunded': {
        const charge = event.data.object
        // A partial refund leaves the payment standing; only a full one reverses what it bought.
        if (charge.refunded !== true) return undefined
        const move = await chargePayment(tx, charge)
        return move && { action: 'refund', move }
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
      const asked = await moveOf(tx, event)
      if (!asked) return 'ignored'
      const { action, move } = asked
      const payment = await ledger.find(tx, move.paymentId)
      // A session this installation did not make (another integration on the account, a checkout rolled back).
      if (!payment) return 'ignored'
      const paid = move.paid
      if (paid && (paid.amount !== payment.amount || upper(paid.currency) !== payment.currency)) {
        log.error({ eventId: event.id, paymentId: move.paymentId, paid, expected: payment }, 'a Stripe payment does not match its checkout; left unconfirmed')
        return 'ignored'
      }
      if (move.paymentIntent) await ledger.attachPaymentIntent(tx, move.paymentId, move.paymentIntent)
      const moved = await ledger[action](tx, move.paymentId)
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
      const shaped = typeof event?.id === 'string' && STRIPE_ID.test(event.id) && typeof event.type === 'string' && EVENT_TYPE.test(event.type)
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
