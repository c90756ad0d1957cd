/**
 * Events in a module's tests without the module that produces or consumes them: hand a contract
 * event to a consumer through its real inbox, and read what a producer wrote to its outbox.
 */
import pino from 'pino'
import { Registry } from 'prom-client'
import type { Sql } from 'postgres'
import type { Clock } from '../clock.ts'
import { createModuleDatabase, type ModuleDatabase } from '../db/database.ts'
import { createInbox } from '../events/inbox.ts'
import { createEventMetrics } from '../events/metrics.ts'
import type { Outcome } from '../events/types.ts'
import { createMetrics } from '../metrics.ts'
import type { ModuleDefinition } from '../module.ts'
import type { TestPlatform } from './harness.ts'

/** Where a module's database is: a test platform serving it, or its `ModuleDatabase`. */
export type ModuleDatabaseSource = Pick<TestPlatform, 'databaseUrls'> | ModuleDatabase

const isModuleDatabase = (source: ModuleDatabaseSource): source is ModuleDatabase => 'transaction' in source

/** Runs `work` on the module's database, opening (and then closing) a pool if `source` is a test platform. */
async function withDatabase<T>(source: ModuleDatabaseSource, module: string, work: (database: ModuleDatabase) => Promise<T>): Promise<T> {
  if (isModuleDatabase(source)) return work(source)
  const url = source.databaseUrls[module]
  if (!url) throw new Error(`the test platform has no database for ${module}`)
  const database = createModuleDatabase({ module, url, poolMax: 1, queryDuration: createMetrics().queryDuration })
  try {
    return await work(database)
  } finally {
    await database.close()
  }
}

/**
 * Delivers one event to `module` as the transports do: its payload checked against the
 * contract the module consumes, then handled in one transaction that also records it in the
 * module's inbox. Returns the event's id (pass it again as `id` to redeliver) and the outcome.
 * `clock` is the one its handlers are told (the test platform's, when it moves).
 * @example
 * const { outcome } = await deliver(t, streams, 'users.registered.v1', { user_id: '1', login: 'ada', … })
 * expect(outcome).toEqual({ status: 'handled' })
 */
export async function deliver(
  source: ModuleDatabaseSource,
  module: Pick<ModuleDefinition, 'name' | 'consumes'>,
  type: string,
  payload: unknown,
  options: { id?: string; occurredAt?: string; clock?: Clock } = {},
): Promise<{ id: string; outcome: Outcome }> {
  const id = options.id ?? crypto.randomUUID()
  const event = { id, type, occurredAt: options.occurredAt ?? new Date().toISOString(), payload }
  const metrics = createEventMetrics(new Registry(), { outboxes: async () => [], lag: async () => [] })
  const log = pino({ level: 'silent' })
  const [outcome] = await withDatabase(source, module.name, (database) =>
    createInbox({ module: module.name, database, consumes: module.consumes ?? {}, metrics, log, clock: options.clock }).deliver([event]),
  )
  return { id, outcome: outcome! }
}

/** An event as the producing module wrote it to its outbox. */
export type PublishedEvent = {
  id: string
  type: string
  payload: unknown
  /** The one consumer a snapshot's event is for; null for everyone's. */
  target: string | null
  occurredAt: Date
  published: boolean
}

/**
 * The events `module` has written to its outbox, oldest first; `type` keeps one type.
 * @example
 * expect((await publishedEvents(t, users, { type: 'users.followed.v1' })).map((e) => e.payload)).toEqual([…])
 */
export async function publishedEvents(
  source: ModuleDatabaseSource,
  module: Pick<ModuleDefinition, 'name'>,
  options: { type?: string } = {},
): Promise<PublishedEvent[]> {
  return withDatabase(source, module.name, async (database) => {
    const sql: Sql = database.sql
    const rows = await sql<{ id: string; type: string; payload: unknown; target: string | null; occurred_at: Date; published: boolean }[]>`
      select event_id::text as id, type, payload, target, occurred_at, published_at is not null as published
      from outbox ${options.type === undefined ? sql`` : sql`where type = ${options.type}`}
      order by outbox.id`
    return rows.map(({ occurred_at, ...row }) => ({ ...row, occurredAt: occurred_at }))
  })
}
