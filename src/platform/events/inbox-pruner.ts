import type { Sql } from 'postgres'
import type { Logger } from 'pino'
import { Registry } from 'prom-client'
import { jobMetrics } from '../jobs/metrics.ts'
import { scheduleJob } from '../jobs/scheduled-job.ts'

/** Rows deleted per statement, so a large prune never holds many locks or one long transaction. */
const PRUNE_BATCH = 10_000
const PRUNE_EVERY_MS = 60 * 60 * 1000

/**
 * Deletes `consumer`'s inbox rows older than `retentionHours`; returns how many. Without an
 * index on `handled_at` each statement scans the inbox, which is why it runs rarely and in
 * batches (the oldest rows lie first in the table, so the first batches find theirs early).
 */
export async function pruneInbox(
  sql: Sql,
  consumer: string,
  retentionHours: number,
  signal?: AbortSignal,
): Promise<number> {
  let total = 0
  // Between batches, a stopping process stops; the rest waits for the next round.
  while (!signal?.aborted) {
    const { count } = await sql`
      delete from inbox where ctid = any(array(
        select ctid from inbox
        where consumer = ${consumer} and handled_at < now() - make_interval(hours => ${retentionHours}::int)
        limit ${PRUNE_BATCH}))`
    total += count
    if (count < PRUNE_BATCH) break
  }
  return total
}

/**
 * Forgets, once at start and then every hour, the events a consuming module handled more than
 * `retentionHours` ago: a job (`inbox-pruner`) on every replica rather than a singleton, because
 * pruning twice is harmless (a second replica's batch finds the rows gone) and a lock would cost
 * each consuming module a connection more. The inbox is what makes a redelivery harmless, so the
 * retention must outlast every way an event comes again: an entry reclaimed after its consumer
 * died, a relay that published but died before marking its rows, all replicas down for a while
 * (config.ts sets the floor). A failed round waits for the next: nothing depends on it soon.
 */
export function createInboxPruner(options: {
  module: string
  sql: Sql
  retentionHours: number
  log: Logger
  /** Where the pruner's job metrics go (`job_*{job="inbox-pruner"}`). */
  registry?: Registry
  everyMs?: number
}): { start: () => void; stop: () => Promise<void> } {
  const { module, sql, retentionHours, log, everyMs = PRUNE_EVERY_MS } = options
  return scheduleJob(
    module,
    {
      name: 'inbox-pruner',
      everyMs,
      run: async ({ signal }) => {
        const pruned = await pruneInbox(sql, module, retentionHours, signal)
        if (pruned > 0) log.info({ module, pruned, retentionHours }, 'inbox pruned')
      },
    },
    { log, metrics: jobMetrics(options.registry ?? new Registry()) },
  )
}
