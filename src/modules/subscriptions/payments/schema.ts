import { sql } from 'drizzle-orm'
import { bigint, boolean, check, index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'

const at = (name: string) => timestamp(name, { withTimezone: true })
const userId = (name: string) => bigint(name, { mode: 'bigint' })

/**
 * A payment for a subscription, a gift or a donation: `pending` until its provider confirms it
 * (`succeeded`, fulfilled in that transaction) or gives up (`failed`); a refund of a succeeded
 * one makes it `refunded`. Each move is a conditional UPDATE from the state before, so a
 * duplicated or late confirmation finds nothing left to move and fulfils nothing.
 */
export const payments = pgTable(
  'payments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    kind: text('kind').notNull(),
    status: text('status').notNull().default('pending'),
    purchaserId: userId('purchaser_id').notNull(),
    broadcasterId: userId('broadcaster_id').notNull(),
    /** Integer minor units of `currency` (cents). */
    amount: bigint('amount', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    /** The kind's own fields (a donation's message, a gift's recipients), handed to its fulfilment. */
    details: jsonb('details').notNull().default({}),
    provider: text('provider').notNull(),
    /** The provider's id of the checkout (Stripe's Checkout Session); null until it is made. */
    providerReference: text('provider_reference'),
    /** Stripe's PaymentIntent once an event names it: a refunded charge is found by it. */
    providerPaymentIntent: text('provider_payment_intent'),
    /** Stripe's Customer the buyer paid as (Checkout made it): their next checkouts reuse it. */
    providerCustomer: text('provider_customer'),
    /** The card the payment saved for off-session use (a subscription's), which its renewals charge. */
    providerPaymentMethod: text('provider_payment_method'),
    checkoutUrl: text('checkout_url'),
    confirmedAt: at('confirmed_at'),
    failedAt: at('failed_at'),
    refundedAt: at('refunded_at'),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('payments_provider_reference_key').on(t.provider, t.providerReference),
    uniqueIndex('payments_provider_payment_intent_key').on(t.provider, t.providerPaymentIntent),
    index('payments_purchaser_idx').on(t.purchaserId, t.createdAt),
    check('payments_kind_known', sql`${t.kind} in ('subscription', 'gift', 'donation')`),
    check('payments_status_known', sql`${t.status} in ('pending', 'succeeded', 'failed', 'refunded')`),
    check('payments_provider_known', sql`${t.provider} in ('dev', 'stripe')`),
    check('payments_amount_positive', sql`${t.amount} > 0`),
    check('payments_currency_iso', sql`${t.currency} ~ '^[A-Z]{3}$'`),
  ],
)

/**
 * The payments ledger's reversals: each refund of a payment, in full or in part, is one entry
 * of the amount newly given back, never changed or deleted; `refunded_total` (what the entries
 * sum to with this one) is unique per payment, so one refund step is never written twice.
 */
export const paymentRefunds = pgTable(
  'payment_refunds',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    paymentId: uuid('payment_id')
      .notNull()
      .references(() => payments.id),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    refundedTotal: bigint('refunded_total', { mode: 'number' }).notNull(),
    /** The provider's refund (Stripe's `re_…`) when we asked for it; null for one Stripe told us of. */
    providerRefund: text('provider_refund'),
    refundedAt: at('refunded_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('payment_refunds_step_key').on(t.paymentId, t.refundedTotal),
    check('payment_refunds_amount_positive', sql`${t.amount} > 0 and ${t.amount} <= ${t.refundedTotal}`),
  ],
)

/**
 * A card saved for a subscription's renewals without a payment (a gift's recipient continuing it
 * with no card on file): `pending` while its checkout (Stripe's setup mode) is open, `saved` once
 * the provider says so, which continues the subscription in that transaction, `failed` (the
 * checkout expired), or `canceled` (the subscriber canceled while it was open: a card saved there
 * after is recorded, and continues nothing). Its moves are conditional, as a payment's, so a
 * repeated or late event continues nothing twice.
 */
export const cardSetups = pgTable(
  'card_setups',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    purchaserId: userId('purchaser_id').notNull(),
    broadcasterId: userId('broadcaster_id').notNull(),
    /** The subscription it continues (the module's `subscriptions`), at `tier` from its next period. */
    subscriptionId: uuid('subscription_id').notNull(),
    tier: text('tier').notNull(),
    provider: text('provider').notNull(),
    status: text('status').notNull().default('pending'),
    /** The provider's checkout (Stripe's Checkout Session in setup mode); null until it is made. */
    providerReference: text('provider_reference'),
    providerSetupIntent: text('provider_setup_intent'),
    /** Given to the checkout (made for it when the buyer had none), so the card is saved on it. */
    providerCustomer: text('provider_customer'),
    /** The card, once an event names it; until then the renewal reads it from the SetupIntent. */
    providerPaymentMethod: text('provider_payment_method'),
    checkoutUrl: text('checkout_url'),
    savedAt: at('saved_at'),
    failedAt: at('failed_at'),
    canceledAt: at('canceled_at'),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('card_setups_provider_reference_key').on(t.provider, t.providerReference),
    index('card_setups_purchaser_idx').on(t.purchaserId, t.broadcasterId, t.createdAt),
    check('card_setups_status_known', sql`${t.status} in ('pending', 'saved', 'failed', 'canceled')`),
    check('card_setups_provider_known', sql`${t.provider} in ('dev', 'stripe')`),
  ],
)

/** Stripe events already applied, by Stripe's event id: a redelivery is recognised and does nothing. */
export const stripeWebhookEvents = pgTable(
  'stripe_webhook_events',
  {
    eventId: text('event_id').primaryKey(),
    type: text('type').notNull(),
    receivedAt: at('received_at').notNull().defaultNow(),
  },
  (t) => [index('stripe_webhook_events_received_idx').on(t.receivedAt)],
)

/** A paid donation, kept for good: a refund adds a `donation_refunds` row beside it. */
export const donations = pgTable(
  'donations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    paymentId: uuid('payment_id')
      .notNull()
      .references(() => payments.id),
    broadcasterId: userId('broadcaster_id').notNull(),
    /** The donor, kept even when anonymous (only the views hide it). */
    userId: userId('user_id').notNull(),
    isAnonymous: boolean('is_anonymous').notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    message: text('message').notNull(),
    receivedAt: at('received_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('donations_payment_key').on(t.paymentId),
    index('donations_channel_idx').on(t.broadcasterId, t.receivedAt, t.id),
    check('donations_amount_positive', sql`${t.amount} > 0`),
  ],
)

/** A refund of a donation, in full or in part: the amount given back negated, so a channel's sum of all is what it kept. */
export const donationRefunds = pgTable(
  'donation_refunds',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    donationId: uuid('donation_id')
      .notNull()
      .references(() => donations.id),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    refundedAt: at('refunded_at').notNull().defaultNow(),
  },
  (t) => [index('donation_refunds_donation_idx').on(t.donationId), check('donation_refunds_amount_negative', sql`${t.amount} < 0`)],
)
