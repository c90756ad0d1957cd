/** Tables of the probe modules the event tests run (beside the platform's event tables): the effect a consumer leaves. */
import { bigint, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core'

/** One row per handling: an event applied twice would show up as two rows. */
export const pings = pgTable('pings', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  eventId: uuid('event_id').notNull(),
  n: integer('n').notNull(),
  replica: text('replica').notNull(),
})
