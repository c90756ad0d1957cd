/**
 * The outbox, inbox and dead letters every module database holds, for the platform's typed
 * queries. The platform's own migration (`src/platform/migrations`) creates them; a module never
 * re-exports them from its `schema.ts`, so drizzle-kit leaves them out of its migrations.
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

/**
 * Events a consumer failed to handle: retried by the in-process transport while `retryAt` is set,
 * given up on (dead-lettered, for a person to look at) once it is null.
 */
export const deadLetters = pgTable(
  'dead_letters',
  {
    eventId: uuid('event_id').notNull(),
    consumer: text('consumer').notNull(),
    type: text('type').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    payload: jsonb('payload').notNull(),
    error: text('error').notNull(),
    attempts: integer('attempts').notNull(),
    firstFailedAt: timestamp('first_failed_at', { withTimezone: true }).notNull().defaultNow(),
    lastFailedAt: timestamp('last_failed_at', { withTimezone: true }).notNull().defaultNow(),
    retryAt: timestamp('retry_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.eventId, t.consumer] }),
    index('dead_letters_retry_idx').on(t.retryAt).where(sql`${t.retryAt} is not null`),
  ],
)
