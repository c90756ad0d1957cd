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
  provider_payment_intent: string | null
  confirmed_at: Date
}

/**
 * Gives back `amount` of a payment through its provider (Stripe: a refund under `key`, so a
 * retry makes one); the provider's refund id, if it has one.
 */
export type Refunder = (payment: { id: string; paymentIntent: string | null }, amount: number, key: string) => Promise<string | null>

/**
 * What a buyer may be charged with again, off-session: the card of a payment (its PaymentIntent's
 * when no event named it) or of a setup (its SetupIntent's likewise).
 */
export type SavedCard = { customer: string; paymentMethod: string | null; paymentIntent: string | null; setupIntent: string | null }

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
  amount_refunded: string
}

const purchaseOf = (row: PaymentRow): Purchase & { paymentId: string } => ({
  paymentId: row.id,
  kind: row.kind,
  purchaserId: row.purchaser_id,
  broadcasterId: row.broadcaster_id,
  amount: Number(row.amount),
  currency: row.currency,
  details: row.details,
})
const confirmed = (row: PaymentRow): ConfirmedPayment => ({ ...purchaseOf(row), confirmedAt: row.confirmed_at })

/**
 * The one path of a payment's life, for every provider: recorded `pending`, then confirmed,
 * failed or refunded (in full, or in steps) by conditional moves in the caller's transaction,
 * each running its kind's fulfilment in that same transaction. A move that finds the payment
 * already past it changes nothing and fulfils nothing, whatever order events come in; refund
 * steps are entries of `payment_refunds`, each what the refunded total grew by.
 */
export function createPaymentLedger(fulfilments: Fulfilments, refunder: Refunder) {
  const refundedOf = async (tx: Transaction, paymentId: string) => {
    const [row] = await tx.sql<{ refunded: string }[]>`select coalesce(sum(amount), 0) as refunded from payment_refunds where payment_id = ${paymentId}`
    return Number(row!.refunded)
  }

  /**
   * Records what a succeeded payment's refunded total grew by to reach `total` (capped at the
   * payment), under the payment's lock so concurrent steps add up; a total reached already
   * records nothing. The last step makes the payment `refunded`.
   */
  const refundTo = async (tx: Transaction, paymentId: string, total: number, providerRefund: string | null, undelivered = false): Promise<boolean> => {
    const [row] = await tx.sql<PaymentRow[]>`select * from payments where id = ${paymentId} and status = 'succeeded' for update`
    if (!row) return false
    const refunded = await refundedOf(tx, paymentId)
    const reached = Math.min(total, Number(row.amount))
    if (reached <= refunded) return false
    const [entry] = await tx.sql<{ id: string; refunded_at: Date }[]>`
      insert into payment_refunds (payment_id, amount, currency, refunded_total, provider_refund)
      values (${paymentId}, ${reached - refunded}, ${row.currency}, ${reached}, ${providerRefund})
      returning id, refunded_at`
    const full = reached === Number(row.amount)
    if (full) await tx.sql`update payments set status = 'refunded', refunded_at = ${entry!.refunded_at} where id = ${paymentId}`
    await fulfilments[row.kind].refund(tx, confirmed(row), { id: entry!.id, amount: reached - refunded, full, refundedAt: entry!.refunded_at, undelivered })
    return true
  }

  /** Confirms a payment once (a failed one too: the provider says it was paid after all) and fulfils it; false when it was already. */
  const confirm = async (tx: Transaction, paymentId: string): Promise<boolean> => {
    const [row] = await tx.sql<PaymentRow[]>`
      update payments set status = 'succeeded', confirmed_at = now(), failed_at = null
      where id = ${paymentId} and status in ('pending', 'failed') returning *`
    if (!row) return false
    const giveBack = async (amount: number) => {
      const total = (await refundedOf(tx, paymentId)) + amount
      const providerRefund = await refunder({ id: paymentId, paymentIntent: row.provider_payment_intent }, amount, `refund-${paymentId}-${total}`)
      await refundTo(tx, paymentId, total, providerRefund, true)
    }
    await fulfilments[row.kind].fulfil(tx, confirmed(row), giveBack)
    return true
  }

  return {
    /**
     * Records a purchase as `pending` with `provider`; its id is what the provider's events name.
     * With a `reference` the id derives from it, so the purchase it names is one payment however often recorded.
     */
    async record(tx: Transaction, purchase: Purchase, provider: Provider, reference?: string): Promise<string> {
      const id = reference === undefined ? tx.sql`gen_random_uuid()` : tx.sql`md5(${reference})::uuid`
      const [row] = await tx.sql<{ id: string }[]>`
        insert into payments (id, kind, purchaser_id, broadcaster_id, amount, currency, details, provider)
        values (${id}, ${purchase.kind}, ${purchase.purchaserId}, ${purchase.broadcasterId}, ${purchase.amount}, ${purchase.currency},
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

    /** Remembers who paid (the provider's customer) and with what card, as the events tell them, for the next checkouts and renewals. */
    async attachPayer(tx: Transaction, paymentId: string, payer: { customer?: string; paymentMethod?: string }): Promise<void> {
      if (!payer.customer && !payer.paymentMethod) return
      await tx.sql`
        update payments set provider_customer = coalesce(provider_customer, ${payer.customer ?? null}),
          provider_payment_method = coalesce(provider_payment_method, ${payer.paymentMethod ?? null})
        where id = ${paymentId}`
    },

    /** The buyer's customer at the provider, from their latest payment or card setup that names one. */
    async customerOf(tx: Transaction, provider: Provider, purchaserId: string): Promise<string | undefined> {
      const [row] = await tx.sql<{ provider_customer: string }[]>`
        select provider_customer from (
          select provider_customer, created_at from payments
          where purchaser_id = ${purchaserId} and provider = ${provider} and provider_customer is not null
          union all
          select provider_customer, created_at from card_setups
          where purchaser_id = ${purchaserId} and provider = ${provider} and provider_customer is not null
        ) named order by created_at desc limit 1`
      return row?.provider_customer
    },

    /** The card the buyer last saved for their subscription to the channel: paying it at a Checkout, or setting one up to continue it. */
    async savedCard(tx: Transaction, provider: Provider, purchaserId: string, broadcasterId: string): Promise<SavedCard | undefined> {
      const [row] = await tx.sql<{ provider_customer: string; provider_payment_method: string | null; provider_payment_intent: string | null; provider_setup_intent: string | null }[]>`
        select provider_customer, provider_payment_method, provider_payment_intent, provider_setup_intent from (
          select provider_customer, provider_payment_method, provider_payment_intent, null as provider_setup_intent, created_at as saved_at from payments
          where purchaser_id = ${purchaserId} and broadcaster_id = ${broadcasterId} and provider = ${provider}
            and kind = 'subscription' and status = 'succeeded' and provider_customer is not null
          union all
          select provider_customer, provider_payment_method, null, provider_setup_intent, saved_at from card_setups
          where purchaser_id = ${purchaserId} and broadcaster_id = ${broadcasterId} and provider = ${provider}
            and status = 'saved' and provider_customer is not null
        ) cards order by saved_at desc limit 1`
      return (
        row && {
          customer: row.provider_customer,
          paymentMethod: row.provider_payment_method,
          paymentIntent: row.provider_payment_intent,
          setupIntent: row.provider_setup_intent,
        }
      )
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

    /** A payment that will not be made (a checkout expired, a renewal declined) and its kind's `fail`; false when it was past pending. */
    async fail(tx: Transaction, paymentId: string): Promise<boolean> {
      const [row] = await tx.sql<PaymentRow[]>`
        update payments set status = 'failed', failed_at = now() where id = ${paymentId} and status = 'pending' returning *`
      if (!row) return false
      await fulfilments[row.kind].fail?.(tx, purchaseOf(row))
      return true
    },

    /**
     * Refunds a payment up to `total` refunded (Stripe's `amount_refunded`, which counts every
     * refund so far), recording only what is new. A refund can only follow a payment, so one
     * that arrives before the confirmation confirms first: both effects, in order, once.
     */
    async refund(tx: Transaction, paymentId: string, total: number): Promise<boolean> {
      await confirm(tx, paymentId)
      return refundTo(tx, paymentId, total, null)
    },
  }
}

export type PaymentLedger = ReturnType<typeof createPaymentLedger>

/** A purchaser's own payment as it now is; undefined for anyone else's (or none). */
export async function paymentOf(database: ModuleDatabase, purchaserId: string, paymentId: string): Promise<PaymentState | undefined> {
  const [row] = await database.sql<PaymentState[]>`
    select id, kind, status, amount, currency, checkout_url, created_at, confirmed_at, failed_at, refunded_at,
      (select coalesce(sum(r.amount), 0) from payment_refunds r where r.payment_id = payments.id) as amount_refunded
    from payments where id = ${paymentId} and purchaser_id = ${purchaserId}`
  return row
}
