import type { Sql } from 'postgres'
import type { z } from 'zod'
import { systemClock, type Clock } from '../clock.ts'
import { OUTBOX_CHANNEL } from './publish.ts'
import type { EventContracts } from './types.ts'

/** One event of a snapshot: an ordinary event of the producer's contract, stating a current fact. */
export type SnapshotEvent = { type: string; payload: unknown }

/**
 * What a producer's snapshot reads from: its own database, the event types the consumer wants,
 * and the module's clock, by which it tells what holds now (a timed suspension still in force),
 * as its handlers and jobs do.
 */
export type SnapshotSource = { sql: Sql; types: ReadonlySet<string>; clock: Clock }

/**
 * A producer's current state as ordinary events, in batches (each batch is written to the
 * outbox in one transaction). Events about mutable state carry the thing's CURRENT version, so
 * a live event committed after the read wins over the snapshot's, whichever arrives first.
 */
export type Snapshot = (source: SnapshotSource) => AsyncIterable<SnapshotEvent[]>

type SnapshotEventOf<C extends EventContracts> = { [T in keyof C & string]: { type: T; payload: z.input<C[T]> } }[keyof C &
  string]

/**
 * Types a module's `snapshot` against its contracts, as `consume` types its handlers:
 *
 * @example
 * snapshot: snapshotOf(usersEvents, async function* ({ sql, types }) {
 *   for await (const page of pagesOfUsers(sql)) {
 *     yield page.map((user) => ({ type: 'users.registered.v1', payload: { user_id: user.id, … } }))
 *   }
 * })
 */
export function snapshotOf<C extends EventContracts>(
  _contracts: C,
  snapshot: (source: SnapshotSource) => AsyncIterable<SnapshotEventOf<C>[]>,
): Snapshot {
  return snapshot
}

/**
 * The last event of every snapshot, targeted like the rest: the consumer records the snapshot
 * complete when it handles it (snapshot-records.ts). Not in any contract: the platform's own.
 */
export const SNAPSHOT_COMPLETED = 'platform.snapshot_completed.v1'

export type SnapshotCompleted = { producer: string; events: number }

/**
 * Writes `producer`'s snapshot into its own outbox, targeted at `consumer` alone, one batch per
 * transaction, then the completion mark. Only the types `consumer` consumes go in, each checked
 * against the contract as `publish` checks it. The relays publish the rows like any others, so
 * a crash loses nothing; a snapshot written twice only repeats facts, which versions absorb.
 * Returns how many events it wrote.
 */
export async function writeSnapshot(options: {
  producer: { name: string; produces?: EventContracts; snapshot?: Snapshot }
  sql: Sql
  consumer: string
  types: Iterable<string>
  /** Called after each committed batch (the Redis responder keeps its request claimed). */
  onBatch?: (written: number) => Promise<void>
  /** Ends the writing between batches (a stopping process); what is written stays, and goes out. */
  signal?: AbortSignal
  /** The producer's clock, handed to its snapshot (default: the system's). */
  clock?: Clock
}): Promise<number> {
  const { producer, sql, consumer, onBatch, signal, clock = systemClock } = options
  const contracts = producer.produces ?? {}
  const types = new Set([...options.types].filter((type) => type in contracts))
  let written = 0
  if (producer.snapshot && types.size > 0) {
    for await (const batch of producer.snapshot({ sql, types, clock })) {
      signal?.throwIfAborted()
      const events = batch.filter((event) => types.has(event.type))
      if (events.length === 0) continue
      await insertTargeted(
        sql,
        consumer,
        events.map((event) => ({ type: event.type, payload: contracts[event.type]!.parse(event.payload) })),
      )
      written += events.length
      await onBatch?.(written)
    }
  }
  const completed: SnapshotCompleted = { producer: producer.name, events: written }
  await insertTargeted(sql, consumer, [{ type: SNAPSHOT_COMPLETED, payload: completed }])
  return written
}

/** One statement per batch (array parameters), and the relay's wake-up call at commit. */
async function insertTargeted(sql: Sql, consumer: string, events: SnapshotEvent[]): Promise<void> {
  const ids = events.map(() => crypto.randomUUID())
  const types = events.map((event) => event.type)
  const payloads = events.map((event) => JSON.stringify(event.payload))
  await sql`
    with written as (
      insert into outbox (event_id, type, payload, target)
      select id, type, payload::jsonb, ${consumer}
      from unnest(${ids}::uuid[], ${types}::text[], ${payloads}::text[]) as batch(id, type, payload)
      returning 1
    )
    select pg_notify(${OUTBOX_CHANNEL}, '') from (select 1 from written limit 1) as any_row`
}
