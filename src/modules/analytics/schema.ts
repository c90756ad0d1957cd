import { sql } from 'drizzle-orm'
import { bigint, boolean, check, date, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core'

const userId = (name: string) => bigint(name, { mode: 'bigint' })
const count = (name: string) => integer(name).notNull().default(0)
const minute = () => timestamp('minute', { withTimezone: true }).notNull()

/**
 * The natural key of every fact ingested (a viewer-minutes chunk, a follow at its version, a
 * gift…), so the same fact published again under another event id (a producer's retry, a
 * snapshot replayed to this late joiner) adds nothing: the inbox dedups event ids, this dedups facts.
 */
export const ingestedFacts = pgTable('ingested_facts', {
  key: text('key').primaryKey(),
  at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
})

/**
 * One live session as streams announced it; `summary` is written once it is offline and its
 * late events had time to arrive (final), and written again if one still comes after.
 */
export const streamAnalytics = pgTable(
  'stream_analytics',
  {
    streamId: bigint('stream_id', { mode: 'bigint' }).primaryKey(),
    broadcasterId: userId('broadcaster_id').notNull(),
    // Null until `online` arrives (an `offline` may come first: one stream per event type).
    startedAt: timestamp('started_at', { withTimezone: true }),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    summary: jsonb('summary'),
    summarizedAt: timestamp('summarized_at', { withTimezone: true }),
    // Bumped by every event changing the session once summarized; the summary is current while
    // `summarized_changes` equals it. A counter, not a time: the row lock orders the two writers.
    changes: integer('changes').notNull().default(0),
    summarizedChanges: integer('summarized_changes'),
  },
  (t) => [
    index('stream_analytics_broadcaster_started_idx').on(t.broadcasterId, t.startedAt),
    index('stream_analytics_live_idx').on(t.broadcasterId).where(sql`${t.endedAt} is null`),
  ],
)

/**
 * A channel's minute (`minute` its start, UTC): every count there is of what happened in it, by
 * event time. A stream's timeline is its channel's minutes from its start to its end, so an
 * event reaching here before the stream's `online` still lands in that stream.
 */
export const channelMinutes = pgTable(
  'channel_minutes',
  {
    broadcasterId: userId('broadcaster_id').notNull(),
    minute: minute(),
    viewers: count('viewers'),
    anonymousViewers: count('anonymous_viewers'),
    chatters: count('chatters'),
    messages: count('messages'),
    follows: count('follows'),
    newSubs1000: count('new_subs_1000'),
    newSubs2000: count('new_subs_2000'),
    newSubs3000: count('new_subs_3000'),
    giftedSubs1000: count('gifted_subs_1000'),
    giftedSubs2000: count('gifted_subs_2000'),
    giftedSubs3000: count('gifted_subs_3000'),
    donations: count('donations'),
    redemptions: count('redemptions'),
    raidsIn: count('raids_in'),
    raidsOut: count('raids_out'),
    raidViewersIn: count('raid_viewers_in'),
    raidViewersOut: count('raid_viewers_out'),
  },
  (t) => [primaryKey({ columns: [t.broadcasterId, t.minute] })],
)

/**
 * Money a channel made in a minute, per source, tier and currency, in minor units, never
 * converted: `refund` entries are negative.
 */
export const revenueAnalytics = pgTable(
  'revenue_analytics',
  {
    broadcasterId: userId('broadcaster_id').notNull(),
    minute: minute(),
    source: text('source', { enum: ['subscription', 'gift', 'donation', 'refund'] }).notNull(),
    // '' where no tier applies (donations and their refunds).
    tier: text('tier').notNull(),
    currency: text('currency').notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    payments: count('payments'),
  },
  (t) => [
    primaryKey({ columns: [t.broadcasterId, t.minute, t.source, t.tier, t.currency] }),
    check('revenue_analytics_sign', sql`(${t.source} = 'refund') = (${t.amount} < 0) or ${t.amount} = 0`),
  ],
)

/** Who chatted in a channel's minute and how much, for a stream's unique chatters. */
export const chatterMinutes = pgTable(
  'chatter_minutes',
  {
    broadcasterId: userId('broadcaster_id').notNull(),
    minute: minute(),
    userId: userId('user_id').notNull(),
    messages: integer('messages').notNull(),
  },
  (t) => [primaryKey({ columns: [t.broadcasterId, t.minute, t.userId] })],
)

/** The signed-in viewers of a stream and their minutes, for its unique viewers. */
export const streamViewers = pgTable(
  'stream_viewers',
  {
    streamId: bigint('stream_id', { mode: 'bigint' }).notNull(),
    userId: userId('user_id').notNull(),
    minutes: integer('minutes').notNull(),
  },
  (t) => [primaryKey({ columns: [t.streamId, t.userId] })],
)

/**
 * A user's day in a channel: minutes watched, chat messages sent. Only the primary key: the user's
 * watch time reads by it, and the rollups scan the table whole.
 */
export const userAnalytics = pgTable(
  'user_analytics',
  {
    userId: userId('user_id').notNull(),
    broadcasterId: userId('broadcaster_id').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    watchMinutes: count('watch_minutes'),
    chatMessages: count('chat_messages'),
  },
  (t) => [primaryKey({ columns: [t.userId, t.day, t.broadcasterId] })],
)

/** Each subscription as its newest event tells it, for the active subscriptions gauge. */
export const subscriptionStates = pgTable(
  'subscription_states',
  {
    subscriptionId: text('subscription_id').primaryKey(),
    broadcasterId: userId('broadcaster_id').notNull(),
    tier: text('tier').notNull(),
    active: boolean('active').notNull(),
    currentPeriodEnd: timestamp('current_period_end', { withTimezone: true }).notNull(),
    version: integer('version').notNull(),
  },
  (t) => [index('subscription_states_active_idx').on(t.tier).where(sql`${t.active}`)],
)

/** Running totals since the first event (follows, messages, redemptions, revenue per currency): the metrics' counters. */
export const analyticsTotals = pgTable('analytics_totals', {
  name: text('name').primaryKey(),
  value: bigint('value', { mode: 'number' }).notNull(),
})

/** When each rollup (materialized view) was last refreshed: its `as_of`, the same on every replica. */
export const rollupRefreshes = pgTable('rollup_refreshes', {
  rollup: text('rollup').primaryKey(),
  refreshedAt: timestamp('refreshed_at', { withTimezone: true }).notNull(),
  durationMs: integer('duration_ms').notNull(),
})
