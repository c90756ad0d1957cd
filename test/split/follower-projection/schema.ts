/**
 * Tables of the test-only follower projection (beside the platform's event tables): the
 * projection itself, and a ledger of handler runs that would show an event applied twice.
 */
import { bigint, boolean, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core'

/**
 * Who follows whom, as the consumer last heard. Unfollows leave a row with `following`
 * false: events of one pair can arrive out of order (one stream per event type, and
 * entries reclaimed after a crash come after newer ones), so each row keeps the `version`
 * of its latest change and an older event never overwrites a newer one.
 */
export const followProjection = pgTable(
  'follow_projection',
  {
    followerId: text('follower_id').notNull(),
    followedId: text('followed_id').notNull(),
    following: boolean('following').notNull(),
    followedAt: timestamp('followed_at', { withTimezone: true, mode: 'string' }),
    version: bigint('version', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.followerId, t.followedId] })],
)

/** Users the consumer has heard registered. */
export const knownUsers = pgTable('known_users', {
  userId: text('user_id').primaryKey(),
  login: text('login').notNull(),
})

/**
 * One row per event a handler ran for, counting the runs. Kept apart from the inbox on
 * purpose: it counts what the handlers did, so a duplicate the inbox let through shows as 2.
 */
export const appliedEvents = pgTable('applied_events', {
  eventId: uuid('event_id').primaryKey(),
  type: text('type').notNull(),
  applications: integer('applications').notNull(),
})
