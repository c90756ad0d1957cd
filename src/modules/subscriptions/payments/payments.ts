import type { ModuleDatabase, Transaction } from '../../../platform/db/database.ts'
import type { ConfirmedPayment, Fulfilments, Purchase, PurchaseKind } from '../purchases.ts'

export type Provider = 'dev' | 'stripe'

type PaymentRow = {
  id: string
  kind: PurchaseKind
  purchaser_id: string
  broadcaster_id: string
  amount: string
  currency: string
  details: Record<string, unknown>
  confirmed_at: Date
}

/** A payment as its purchaser reads it. */
export type PaymentState = {
  id: string
  kind: PurchaseKind
  status: 'pending' | 'succeeded' | 'failed' | 'refunded'
  amount: string
  currency: string
  checkout_url: string | null
  created_at: Date
  confirmed_at: Date | null
  failed_at: Date | null
  refunded_at: Date | null
}

const confirmed = (row: PaymentRow): ConfirmedPayment => ({
  paymentId: row.id,
  kind: row.kind,
  purchaserId: row.purchaser_id,
  broadcasterId: row.broadcaster_id,
  amount: Number(row.amount),
  currency: row.currency,
  details: row.details,
  confirmedAt: row.confirmed_at,
})

/**
 * The one path of a payment's life, for every provider: recorded `pending`, then confirmed,
 * failed or refunded by conditional UPDATEs in the caller's transaction, the confirmation (or
 * refund) running its kind's fulfilment in that same transaction. A move that finds the
 * payment already past it changes nothing and fulfils nothing, whatever order events come in.
 */
export function createPaymentLedger(fulfilments: Fulfilments) {

  /** Confirms a payment once (a failed one too: the provider says it was paid after all) and fulfils it; false when it was already. */
  const confirm = async (tx: Transaction, paymentId: string): Promise<boolean> => {
    const [row] = await tx.sql<PaymentRow[]>`
      update payments set status = 'succeeded', confirmed_at = now(), failed_at = null
      where id = ${paymentId} and status in ('pending', 'failed') returning *`
    if (!row) return false
    await fulfilments[row.kind].fulfil(tx, confirmed(row))
    return true
  }

  return {
    /** Records a purchase as `pending` with `provider`; its id is what the provider's events name. */
    async record(tx: Transaction, purchase: Purchase, provider: Provider): Promise<string> {
      const [row] = await tx.sql<{ id: string }[]>`
        insert into payments (kind, purchaser_id, broadcaster_id, amount, currency, details, provider)
        values (${purchase.kind}, ${purchase.purchaserId}, ${purchase.broadcasterId}, ${purchase.amount}, ${purchase.currency},
          ${JSON.stringify(purchase.details)}::text::jsonb, ${provider})
        returning id`
      return row!.id
    },

    /** Where the provider's checkout is, once it is made. */
    async attachCheckout(tx: Transaction, paymentId: string, reference: string, url: string | null): Promise<void> {
      await tx.sql`update payments set provider_reference = ${reference}, checkout_url = ${url} where id = ${paymentId}`
    },

    /** Remembers the provider's PaymentIntent of a payment, so a refund that names only it is found. */
    async attachPaymentIntent(tx: Transaction, paymentId: string, paymentIntent: string): Promise<void> {
      await tx.sql`
        update payments set provider_payment_intent = ${paymentIntent}
        where id = ${paymentId} and provider_payment_intent is null`
    },

    /** The payment of a provider's PaymentIntent, if one is known. */
    async byPaymentIntent(tx: Transaction, provider: Provider, paymentIntent: string): Promise<string | undefined> {
      const [row] = await tx.sql<{ id: string }[]>`
        select id from payments where provider = ${provider} and provider_payment_intent = ${paymentIntent}`
      return row?.id
    },

    /** The payment of ours an event names, with the amount it was for; undefined for someone else's. */
    async find(tx: Transaction, paymentId: string): Promise<{ amount: number; currency: string } | undefined> {
      const [row] = await tx.sql<{ amount: string; currency: string }[]>`select amount, currency from payments where id = ${paymentId}`
      return row && { amount: Number(row.amount), currency: row.currency }
    },

    confirm,

    /** A checkout that will not be paid (expired, its payment declined for good); false when it was past pending. */
    async fail(tx: Transaction, paymentId: string): Promise<boolean> {
      const moved = await tx.sql`update payments set status = 'failed', failed_at = now() where id = ${paymentId} and status = 'pending'`
      return moved.count === 1
    },

    /**
     * Refunds a payment once and reverses its fulfilment. A refund can only follow a payment, so
     * one that arrives before the confirmation confirms first: both effects, in order, once.
     */
    async refund(tx: Transaction, paymentId: string): Promise<boolean> {
      await confirm(tx, paymentId)
      const [row] = await tx.sql<PaymentRow[]>`
        update payments set status = 'refunded', refunded_at = now() where id = ${paymentId} and status = 'succeeded' returning *`
      if (!row) return false
      await fulfilments[row.kind].refund(tx, confirmed(row))
      return true
    },
  }
}

export type PaymentLedger = ReturnType<typeof createPaymentLedger>

/** A purchaser's own payment as it now is; undefined for anyone else's (or none). */
export async function paymentOf(database: ModuleDatabase, purchaserId: string, paymentId: string): Promise<PaymentState | undefined> {
  const [row] = await database.sql<PaymentState[]>`
    select id, kind, status, amount, currency, checkout_url, created_at, confirmed_at, failed_at, refunded_at
    from payments where id = ${paymentId} and purchaser_id = ${purchaserId}`
  return row
}
