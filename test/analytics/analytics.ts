/** Analytics alone on fresh databases, fed as its transport would: batches of envelopes through its real inbox. */
import { afterAll, beforeAll } from 'bun:test'
import pino from 'pino'
import { Registry } from 'prom-client'
import postgres, { type Sql } from 'postgres'
import { MINUTE_COUNTERS } from '../../src/modules/analytics/buckets.ts'
import { analytics } from '../../src/modules/analytics/index.ts'
import { modules } from '../../src/modules.ts'
import { createRollups } from '../../src/modules/analytics/rollups.ts'
import { createSessions } from '../../src/modules/analytics/sessions.ts'
import { createModuleDatabase, type ModuleDatabase } from '../../src/platform/db/database.ts'
import { createInbox } from '../../src/platform/events/inbox.ts'
import { createEventMetrics } from '../../src/platform/events/metrics.ts'
import type { EventEnvelope, Outcome } from '../../src/platform/events/types.ts'
import { createMetrics } from '../../src/platform/metrics.ts'
import { createDatabaseFromTemplate } from '../../src/platform/testing/databases.ts'
import { createTestPlatform, testRedisUrl, type TestPlatform } from '../../src/platform/testing/harness.ts'
import type { Expected } from './world.ts'

/**
 * The app serving analytics alone with Redis (a private stream prefix, so nothing reaches it
 * from elsewhere), as a process without the producing modules must have; without Redis, beside
 * every module in one process, as `bun start` runs it. Either way the tests feed its inbox themselves.
 */
export async function analyticsPlatform(env: Record<string, string> = {}): Promise<TestPlatform> {
  const redisUrl = testRedisUrl('analytics alone consumes the other modules through Redis Streams')
  const settings = { ANALYTICS_LATE_EVENTS_SECONDS: '0', ...env }
  return redisUrl
    ? createTestPlatform([analytics], { REDIS_URL: redisUrl, EVENTS_STREAM_PREFIX: `test:analytics:${crypto.randomUUID()}`, ...settings })
    : createTestPlatform(modules, settings)
}

/**
 * A migrated analytics database of the test file's own, made before its tests and dropped
 * after, with a connection and the module's parts over it: the inbox fed directly (no app, no Redis).
 */
export function migratedAnalytics() {
  const state = {} as { sql: Sql; parts: ReturnType<typeof analyticsParts> }
  let database: Awaited<ReturnType<typeof createDatabaseFromTemplate>>
  beforeAll(async () => {
    database = await createDatabaseFromTemplate('analytics', analytics.migrations)
    state.sql = postgres(database.url, { onnotice: () => {} })
    state.parts = analyticsParts(database.url)
  })
  afterAll(async () => {
    await state.parts.close()
    await state.sql.end()
    await database.drop()
  })
  return state
}

/** Analytics' inbox and its sessions and rollups, on a pool of the test's own (on a test platform's database, or at `url`). */
export function analyticsParts(source: TestPlatform | string) {
  const url = typeof source === 'string' ? source : source.databaseUrls.analytics!
  const database: ModuleDatabase = createModuleDatabase({ module: 'analytics', url, poolMax: 4, queryDuration: createMetrics().queryDuration })
  const inbox = createInbox({
    module: 'analytics',
    database,
    consumes: analytics.consumes!,
    metrics: createEventMetrics(new Registry(), { outboxes: async () => [], lag: async () => [] }),
    log: pino({ level: 'silent' }),
  })
  const consumed = new Set(inbox.types)
  return {
    database,
    sessions: createSessions(database, 0),
    rollups: createRollups(database),
    /** Delivers batches, `parallel` at a time, as replicas of analytics would; only the types analytics consumes. */
    async deliver(batches: EventEnvelope[][], parallel = 3): Promise<Outcome[]> {
      const queue = batches.map((b) => b.filter((e) => consumed.has(e.type))).filter((b) => b.length > 0)
      const outcomes: Outcome[] = []
      await Promise.all(
        Array.from({ length: parallel }, async () => {
          for (let batch = queue.shift(); batch; batch = queue.shift()) outcomes.push(...(await inbox.deliver(batch)))
        }),
      )
      return outcomes
    },
    close: () => database.close(),
  }
}

const sortRows = <T>(rows: T[]) => [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))

/** What analytics holds of the given channels and users, in `Expected`'s shape (rollups as last refreshed). */
export async function actualOf(sql: Sql, parts: ReturnType<typeof analyticsParts>, history: { channels: string[]; users: string[]; streams: string[] }): Promise<Expected> {
  const minutes = await sql<Record<string, number | string>[]>`
    select broadcaster_id::text, minute, ${sql(MINUTE_COUNTERS as unknown as string[])} from channel_minutes where broadcaster_id = any(${history.channels}::bigint[]) order by broadcaster_id, minute`
  const revenue = await sql<Expected['revenue']>`
    select broadcaster_id::text, minute, source, tier, currency, amount::float8 as amount, payments from revenue_analytics
    where broadcaster_id = any(${history.channels}::bigint[]) order by broadcaster_id, minute, source, tier, currency`
  const users = await sql<Expected['users']>`
    select user_id::text, broadcaster_id::text, day::text, watch_minutes, chat_messages from user_analytics
    where user_id = any(${history.users}::bigint[]) order by user_id, day, broadcaster_id`
  const summaries = []
  for (const id of [...history.streams].sort((a, b) => Number(a) - Number(b))) {
    const report = await parts.sessions.report(id)
    if (report) summaries.push(report.summary)
  }
  const range = ['2026-11-01', '2026-12-31'] as const
  const periods = { day: {}, month: {} } as Expected['periods']
  const revenuePeriods = { day: {}, month: {} } as Expected['revenuePeriods']
  for (const g of ['day', 'month'] as const) {
    for (const b of history.channels) {
      periods[g][b] = await parts.rollups.channel(b, g, ...range)
      revenuePeriods[g][b] = sortRows(await parts.rollups.revenue(b, g, ...range))
    }
  }
  return {
    minutes: minutes.map((m) => ({ ...m, minute: (m.minute as unknown as Date).toISOString() })),
    revenue: revenue.map((r) => ({ ...r, minute: (r.minute as unknown as Date).toISOString() })),
    users: [...users],
    summaries,
    periods,
    revenuePeriods,
  }
}

/** `expected` with its revenue periods in the order `actualOf` puts them. */
export const comparable = (expected: Expected): Expected => ({
  ...expected,
  revenuePeriods: {
    day: Object.fromEntries(Object.entries(expected.revenuePeriods.day).map(([b, rows]) => [b, sortRows(rows)])),
    month: Object.fromEntries(Object.entries(expected.revenuePeriods.month).map(([b, rows]) => [b, sortRows(rows)])),
  },
})
