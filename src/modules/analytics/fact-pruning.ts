import type { Sql } from 'postgres'

/** Rows deleted per statement, so a large prune never holds many locks or one long transaction. */
const PRUNE_BATCH = 10_000

/**
 * The facts (`handlers.ts`' keys) only a redelivery of their event brings again: a minute's
 * viewers or chat, a raid, a gift, a donation, a refund, a redemption. A follow's and a
 * subscription's are kept: a producer's snapshot retells them, under new event ids, whenever a
 * consumer asks for one, however old they are (and there is one per follow or period, not per minute).
 */
const PRUNABLE = ['viewers:', 'chat:', 'raid:', 'gift:', 'donation:', 'refund:', 'redemption:'] as const

/**
 * Forgets the prunable facts claimed more than `retentionDays` ago; returns how many. The
 * retention must outlast every way such an event comes again under another id or after the
 * inbox forgot it (the inbox keeps event ids EVENTS_INBOX_RETENTION_HOURS, a week by default):
 * past it, the same event again would count twice. Batches, as the inbox's pruner does: without
 * an index on `at` each scans, the oldest rows first.
 */
export async function pruneFacts(sql: Sql, retentionDays: number, signal?: AbortSignal): Promise<number> {
  let total = 0
  const prefixes = PRUNABLE.map((p) => `${p}%`)
  while (!signal?.aborted) {
    const { count } = await sql`
      delete from ingested_facts where ctid = any(array(
        select ctid from ingested_facts
        where at < now() - make_interval(days => ${retentionDays}::int) and key like any(${prefixes}::text[])
        limit ${PRUNE_BATCH}))`
    total += count
    if (count < PRUNE_BATCH) break
  }
  return total
}
