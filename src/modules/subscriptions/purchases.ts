import type { Transaction } from '../../platform/db/database.ts'
import { publish } from './publish.ts'
import type { Tier } from './tiers.ts'

/** What a viewer can pay for: each kind is fulfilled by the part of the module that owns it. */
export type PurchaseKind = 'subscription' | 'gift' | 'donation'

/** A payment as it was asked for: who pays whom, how much (minor units), and what for (`details`, the kind's own). */
export type Purchase = {
  kind: PurchaseKind
  purchaserId: string
  broadcasterId: string
  amount: number
  currency: string
  details: Record<string, unknown>
}

/** A payment the provider confirmed (once: a duplicated or late confirmation never reaches a fulfilment). */
export type ConfirmedPayment = Purchase & { paymentId: string; confirmedAt: Date }

/**
 * A refund as the payments ledger recorded it: `amount` newly given back (minor units), `full`
 * once the whole payment is; `undelivered` when the fulfilment itself gave it back (what it could
 * not deliver), so no revenue was ever announced for it.
 */
export type Refund = { id: string; amount: number; full: boolean; refundedAt: Date; undelivered: boolean }

/**
 * Gives back `amount` of the payment being fulfilled (what could not be delivered) through its
 * provider, as a refund entry of the ledger; its kind's `refund` runs as for any refund.
 */
export type GiveBack = (amount: number) => Promise<void>

/**
 * What a confirmed, refunded or failed payment does, per kind, run in the same transaction that
 * records the move, so the effect and its events are written once or not at all.
 */
export type Fulfilment = {
  fulfil: (tx: Transaction, payment: ConfirmedPayment, giveBack: GiveBack) => Promise<void>
  /** Each refund step once: a partial refund, then possibly more, the last one `full`. */
  refund: (tx: Transaction, payment: ConfirmedPayment, refund: Refund) => Promise<void>
  /** A payment given up for good (a renewal's card declined); kinds with nothing to undo have none. */
  fail?: (tx: Transaction, payment: Purchase & { paymentId: string }) => Promise<void>
}

export type Fulfilments = Record<PurchaseKind, Fulfilment>

/**
 * Starts a payment: `dev` confirms it at once through the same path a webhook takes (so the
 * answer is `succeeded`), Stripe answers `pending` with the checkout page to send the buyer to.
 * Pass `tx` (the Idempotency-Key's, from `once`) so the payment is made under the key and a
 * request waiting on that key holds no second connection.
 */
export type Checkout = (
  purchase: Purchase,
  tx?: Transaction,
) => Promise<{ paymentId: string; status: 'pending' | 'succeeded'; checkoutUrl: string | null }>

/**
 * Charges a renewal with nobody at the checkout (off-session): `dev` confirms at once, Stripe
 * charges the card saved by the subscription's first checkout. `reference` names what is paid
 * (a subscription's period): the payment's id and the provider's idempotency key derive from
 * it, so a retried charge of one period never charges twice. A decline answers `failed` (the
 * kind's `fail` has run), an answer still to come `pending`.
 */
export type Charge = (
  purchase: Purchase,
  reference: string,
  tx: Transaction,
) => Promise<{ paymentId: string; status: 'succeeded' | 'pending' | 'failed' }>

/** A subscriber continuing their subscription (a gift's recipient, a canceled one) from its period's end at `tier`: its renewals need a card. */
export type ContinueAsk = { purchaserId: string; broadcasterId: string; subscriptionId: string; tier: Tier }

/**
 * Continues a subscription on a card its renewals can charge off-session: with one saved already
 * it continues at once (`continued`); with none, the card is saved first, no payment made — `dev`
 * at once (`continued`), Stripe on Checkout's page in setup mode (`pending`, with its URL and the
 * setup's id), continuing it when Stripe says the card is saved.
 */
export type CardSetup = (ask: ContinueAsk, tx: Transaction) => Promise<{ status: 'continued' } | { status: 'pending'; setupId: string; checkoutUrl: string | null }>

/** Stops the card setups a subscriber left open for their subscription to a channel (they canceled it): a card saved there later continues nothing. */
export type SetupsStop = (tx: Transaction, subscriber: { purchaserId: string; broadcasterId: string }) => Promise<void>

/** Has a subscription renew from its period's end at `tier` (the subscriptions part's), once its card is on file, in that transaction. */
export type Continuation = (tx: Transaction, continued: { subscriptionId: string; tier: Tier }) => Promise<void>

/**
 * `purchase_refunded` for a refund step of a subscription's or a gift's payment, so revenue
 * counts it negative; none for what the fulfilment gave back itself (its revenue was never announced).
 */
export async function announceRefund(tx: Transaction, payment: ConfirmedPayment, refund: Refund, tier: Tier): Promise<void> {
  if (refund.undelivered || payment.kind === 'donation') return
  await publish(tx, 'subscriptions.purchase_refunded.v1', {
    refund_id: refund.id,
    payment_id: payment.paymentId,
    broadcaster_id: payment.broadcasterId,
    kind: payment.kind,
    tier,
    amount: refund.amount,
    currency: payment.currency,
    occurred_at: refund.refundedAt.toISOString(),
  })
}
