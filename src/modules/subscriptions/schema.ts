import { sql } from 'drizzle-orm'
import { bigint, boolean, check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { payments } from './payments/schema.ts'

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow()
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
const userId = (name: string) => bigint(name, { mode: 'bigint' })

/**
 * A viewer's points in one channel: the sum of their ledger entries there, kept beside it so a
 * spend is one conditional UPDATE; the CHECK makes a negative balance impossible even for a bug.
 */
export const channelPoints = pgTable(
  'channel_points',
  {
    broadcasterId: userId('broadcaster_id').notNull(),
    userId: userId('user_id').notNull(),
    balance: bigint('balance', { mode: 'number' }).notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.broadcasterId, t.userId] }), check('channel_points_balance_non_negative', sql`${t.balance} >= 0`)],
)

/**
 * Every change of a balance, never updated or deleted. `(reason, reference)` names its cause
 * once per balance (a redemption's id, `follow`), so a cause replayed credits nothing more.
 */
export const pointsLedger = pgTable(
  'channel_points_ledger',
  {
    id: bigint('id', { mode: 'bigint' }).primaryKey().generatedAlwaysAsIdentity(),
    broadcasterId: userId('broadcaster_id').notNull(),
    userId: userId('user_id').notNull(),
    delta: bigint('delta', { mode: 'number' }).notNull(),
    reason: text('reason').notNull(),
    reference: text('reference').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('channel_points_ledger_cause_key').on(t.broadcasterId, t.userId, t.reason, t.reference),
    check('channel_points_ledger_delta_non_zero', sql`${t.delta} <> 0`),
  ],
)

/** A broadcaster's custom channel-points reward, with Helix's settings. */
export const customRewards = pgTable(
  'custom_rewards',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    broadcasterId: userId('broadcaster_id').notNull(),
    title: text('title').notNull(),
    prompt: text('prompt').notNull().default(''),
    cost: bigint('cost', { mode: 'number' }).notNull(),
    backgroundColor: text('background_color').notNull().default('#9147FF'),
    isEnabled: boolean('is_enabled').notNull().default(true),
    isPaused: boolean('is_paused').notNull().default(false),
    isUserInputRequired: boolean('is_user_input_required').notNull().default(false),
    isMaxPerStreamEnabled: boolean('is_max_per_stream_enabled').notNull().default(false),
    maxPerStream: integer('max_per_stream').notNull().default(0),
    isMaxPerUserPerStreamEnabled: boolean('is_max_per_user_per_stream_enabled').notNull().default(false),
    maxPerUserPerStream: integer('max_per_user_per_stream').notNull().default(0),
    isGlobalCooldownEnabled: boolean('is_global_cooldown_enabled').notNull().default(false),
    globalCooldownSeconds: integer('global_cooldown_seconds').notNull().default(0),
    shouldRedemptionsSkipRequestQueue: boolean('should_redemptions_skip_request_queue').notNull().default(false),
    redeemedCurrentStream: integer('redemptions_redeemed_current_stream').notNull().default(0),
    cooldownExpiresAt: timestamp('cooldown_expires_at', { withTimezone: true }),
    /** Grows with each change of the settings, for the reward_changed events' consumers. */
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // Helix: a title is unique among the broadcaster's rewards.
    uniqueIndex('custom_rewards_title_key').on(t.broadcasterId, sql`lower(${t.title})`),
    check('custom_rewards_cost_positive', sql`${t.cost} >= 1`),
    check(
      'custom_rewards_limits_non_negative',
      sql`${t.maxPerStream} >= 0 and ${t.maxPerUserPerStream} >= 0 and ${t.globalCooldownSeconds} >= 0 and ${t.redeemedCurrentStream} >= 0`,
    ),
  ],
)

/** Redemptions of one reward by one user in the current stream, for `max_per_user_per_stream`. */
export const rewardUserCounts = pgTable(
  'reward_user_counts',
  {
    rewardId: uuid('reward_id')
      .notNull()
      .references(() => customRewards.id, { onDelete: 'cascade' }),
    userId: userId('user_id').notNull(),
    count: integer('count').notNull(),
  },
  (t) => [primaryKey({ columns: [t.rewardId, t.userId] })],
)

/** A viewer's redemption of a reward; kept after the reward is deleted (Helix keeps the reward's title in it). */
export const redemptions = pgTable(
  'redemptions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    broadcasterId: userId('broadcaster_id').notNull(),
    rewardId: uuid('reward_id').notNull(),
    rewardTitle: text('reward_title').notNull(),
    rewardPrompt: text('reward_prompt').notNull(),
    userId: userId('user_id').notNull(),
    userInput: text('user_input').notNull().default(''),
    cost: bigint('cost', { mode: 'number' }).notNull(),
    status: text('status').notNull(),
    redeemedAt: timestamp('redeemed_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('redemptions_reward_idx').on(t.rewardId, t.status, t.redeemedAt),
    check('redemptions_status_known', sql`${t.status} in ('UNFULFILLED', 'FULFILLED', 'CANCELED')`),
  ],
)

/** Minutes a viewer watched a channel live, from streams' viewer-minute events; each 5th earns points. */
export const watchMinutes = pgTable(
  'watch_minutes',
  {
    broadcasterId: userId('broadcaster_id').notNull(),
    userId: userId('user_id').notNull(),
    minutes: bigint('minutes', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.broadcasterId, t.userId] })],
)

/**
 * The `Idempotency-Key`s of a user's spending requests: the request's hash and the answer it
 * got, so a retry gets that answer instead of a second effect. Kept a day (Stripe's window).
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    userId: userId('user_id').notNull(),
    operation: text('operation').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    status: integer('status').notNull(),
    response: jsonb('response').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.operation, t.key] }), index('idempotency_keys_created_idx').on(t.createdAt)],
)

/**
 * A channel's price and name for a tier, once its broadcaster changed them (absent: the
 * defaults). Integer minor units of an ISO 4217 currency; a change applies at the next renewal.
 */
export const subscriptionTiers = pgTable(
  'subscription_tiers',
  {
    broadcasterId: userId('broadcaster_id').notNull(),
    tier: text('tier').notNull(),
    name: text('name').notNull(),
    priceMinor: integer('price_minor').notNull(),
    currency: text('currency').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.broadcasterId, t.tier] }),
    check('subscription_tiers_tier_known', sql`${t.tier} in ('1000', '2000', '3000')`),
    check('subscription_tiers_price_positive', sql`${t.priceMinor} > 0`),
  ],
)

// Payments and donations live in their feature folder; drizzle-kit reads them through here.
export * from './payments/schema.ts'

/**
 * A viewer's subscription to a channel: one row per (channel, user) for good, so months count
 * on across lapses (`cumulative_months`) while `streak_months` starts again at 1. `active` until
 * its period ends without renewal; `renews` false once canceled (access lasts to the period's
 * end) and for a gift its recipient has not continued. `next_tier` takes over at the next period.
 */
export const subscriptions = pgTable(
  'subscriptions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    broadcasterId: userId('broadcaster_id').notNull(),
    userId: userId('user_id').notNull(),
    tier: text('tier').notNull(),
    nextTier: text('next_tier'),
    status: text('status').notNull(),
    renews: boolean('renews').notNull(),
    isGift: boolean('is_gift').notNull().default(false),
    /** Kept for an anonymous gift too (refunds, the gifter's totals); only the views hide it. */
    gifterId: userId('gifter_id'),
    giftAnonymous: boolean('gift_anonymous').notNull().default(false),
    giftId: uuid('gift_id').references(() => subscriptionGifts.id),
    message: text('message').notNull().default(''),
    cumulativeMonths: integer('cumulative_months').notNull(),
    streakMonths: integer('streak_months').notNull(),
    currentPeriodStart: timestamp('current_period_start', { withTimezone: true }).notNull(),
    currentPeriodEnd: timestamp('current_period_end', { withTimezone: true }).notNull(),
    /** Set while a renewal's payment is out (Stripe's is confirmed later): no second one is asked for. */
    renewalRequestedAt: timestamp('renewal_requested_at', { withTimezone: true }),
    /** The current period's payment was refunded: access lasts to its end, which is `refunded`, without renewal. */
    refundedAt: timestamp('refunded_at', { withTimezone: true }),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    endReason: text('end_reason'),
    /** Grows with each change the events tell (start, renewal, tier change, end). */
    version: integer('version').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('subscriptions_channel_user_key').on(t.broadcasterId, t.userId),
    index('subscriptions_user_idx').on(t.userId),
    index('subscriptions_gift_idx').on(t.giftId),
    // The renewal job's scan: active subscriptions by the end of their period.
    index('subscriptions_due_idx').on(t.currentPeriodEnd).where(sql`${t.status} = 'active'`),
    check('subscriptions_status_known', sql`${t.status} in ('active', 'ended')`),
    check('subscriptions_tier_known', sql`${t.tier} in ('1000', '2000', '3000') and coalesce(${t.nextTier}, '1000') in ('1000', '2000', '3000')`),
    check('subscriptions_months_positive', sql`${t.cumulativeMonths} >= 1 and ${t.streakMonths} >= 1 and ${t.streakMonths} <= ${t.cumulativeMonths}`),
  ],
)

/**
 * What a period's renewal charges, decided at its first attempt and kept when the attempt's
 * charge is rolled back (the provider down, its answer lost): every retry under the period's
 * idempotency key asks the provider for the same amount, which it would refuse otherwise. No
 * foreign key: the attempt is written while its subscription is locked FOR UPDATE.
 */
export const renewalAttempts = pgTable(
  'renewal_attempts',
  {
    subscriptionId: uuid('subscription_id').notNull(),
    periodEnd: timestamp('period_end', { withTimezone: true }).notNull(),
    tier: text('tier').notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.subscriptionId, t.periodEnd] }),
    check('renewal_attempts_tier_known', sql`${t.tier} in ('1000', '2000', '3000')`),
    check('renewal_attempts_amount_positive', sql`${t.amount} > 0`),
  ],
)

/** Gift subs bought in one payment: to one named user or `count` random followers (`is_community`). */
export const subscriptionGifts = pgTable(
  'subscription_gifts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    paymentId: uuid('payment_id')
      .notNull()
      .references(() => payments.id),
    broadcasterId: userId('broadcaster_id').notNull(),
    gifterId: userId('gifter_id').notNull(),
    isAnonymous: boolean('is_anonymous').notNull(),
    isCommunity: boolean('is_community').notNull(),
    tier: text('tier').notNull(),
    /** Paid for; `given` is how many found a recipient (fewer only when followers subscribed meanwhile). */
    count: integer('count').notNull(),
    given: integer('given').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('subscription_gifts_payment_key').on(t.paymentId),
    index('subscription_gifts_gifter_idx').on(t.broadcasterId, t.gifterId),
    check('subscription_gifts_count_range', sql`${t.count} between 1 and 100 and ${t.given} between 0 and ${t.count}`),
  ],
)

/**
 * The follow projection (users.followed / unfollowed), for community gifts' recipients: `following`
 * false once unfollowed, the row kept for its `version` (the follower's, from users).
 */
export const subscriptionFollows = pgTable(
  'subscription_follows',
  {
    broadcasterId: userId('broadcaster_id').notNull(),
    userId: userId('user_id').notNull(),
    following: boolean('following').notNull(),
    version: integer('version').notNull(),
  },
  (t) => [primaryKey({ columns: [t.broadcasterId, t.userId] })],
)

/** The users projection (users.registered / profile_updated): logins and display names for Helix's views. */
export const subscriptionUsers = pgTable('subscription_users', {
  userId: userId('user_id').primaryKey(),
  login: text('login').notNull(),
  displayName: text('display_name').notNull(),
  version: integer('version').notNull(),
})
