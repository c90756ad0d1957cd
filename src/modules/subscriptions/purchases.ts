import type { Transaction } from '../../platform/db/database.ts'

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
 * What a confirmed or refunded payment does, per kind, run in the same transaction that records
 * the confirmation (or refund), so the effect and its events are written once or not at all.
 */
export type Fulfilment = {
  fulfil: (tx: Transaction, payment: ConfirmedPayment) => Promise<void>
  refund: (tx: Transaction, payment: ConfirmedPayment) => Promise<void>
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
