/**
 * The outbox and inbox every module database holds. A module re-exports them from its own
 * `schema.ts` so drizzle-kit writes them into that module's migrations.
 */
import { sql } from 'drizzle-orm'
import { bigint, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core'

/** Events written in the same transaction as the change they announce; the relay publishes them. */
export const outbox = pgTable(
  'outbox',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    eventId: uuid('event_id').notNull().unique(),
    type: text('type').notNull(),
    payload: jsonb('payload').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull().defaultNow(),
    publishedAt: timestamp('published_at', { withTimezone: true }),
    /** Hand-overs tried, and why the last failed: visible while a transport is down. */
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
  },
  // The relay's claim and the backlog metrics read only unpublished rows.
  (t) => [index('outbox_unpublished_idx').on(t.id).where(sql`${t.publishedAt} is null`)],
)

/** Events a consumer is done with, recorded in the transaction of its effect: a redelivery changes nothing. */
export const inbox = pgTable(
  'inbox',
  {
    eventId: uuid('event_id').notNull(),
    consumer: text('consumer').notNull(),
    handledAt: timestamp('handled_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.consumer] })],
)
