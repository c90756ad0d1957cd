/**
 * A session's summary written while an event of that session is still being ingested (its
 * transaction not yet committed, so the summary cannot see it) must not be kept as current:
 * the split test's flake (issue 13), made certain by holding the ingest's transaction open.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { analyticsConsumers } from '../../src/modules/analytics/handlers.ts'
import { analytics } from '../../src/modules/analytics/index.ts'
import { systemClock } from '../../src/platform/clock.ts'
import type { EventBatchHandler, EventEnvelope } from '../../src/platform/events/types.ts'
import { createDatabaseFromTemplate } from '../../src/platform/testing/databases.ts'
import { waitUntil } from '../split/ledgers.ts'
import { analyticsParts } from './analytics.ts'

const START = Date.UTC(2026, 10, 30, 20, 0, 0)
const iso = (ms: number) => new Date(ms).toISOString()
const envelope = (type: string, payload: unknown): EventEnvelope => ({ id: crypto.randomUUID(), type, occurredAt: iso(START), payload })
const online = (stream: string, channel: string) => envelope('streams.online.v1', { stream_id: stream, broadcaster_id: channel, broadcaster_login: `c${channel}`, started_at: iso(START) })
const offline = (stream: string, channel: string) => envelope('streams.offline.v1', { stream_id: stream, broadcaster_id: channel, ended_at: iso(START + 5 * 60_000), reason: 'publish_done' })
const viewerMinute = (stream: string, channel: string, minute: number, users: string[]) =>
  envelope('streams.viewer_minutes.v1', { stream_id: stream, broadcaster_id: channel, minute: iso(START + minute * 60_000), user_ids: users, anonymous_viewers: 0, chunk: 1, chunks: 1 })

let database: Awaited<ReturnType<typeof createDatabaseFromTemplate>>
let parts: ReturnType<typeof analyticsParts>

beforeAll(async () => {
  database = await createDatabaseFromTemplate('analytics', analytics.migrations)
  parts = analyticsParts(database.url)
})
afterAll(async () => {
  await parts.close()
  await database.drop()
})

/**
 * Applies `event` as the inbox would, in a transaction held open while `meanwhile` runs until it
 * has finished or waits on a lock, then commits; returns once both are done.
 */
async function ingestDuring(event: EventEnvelope, meanwhile: () => Promise<unknown>): Promise<void> {
  const handler = analyticsConsumers[event.type as 'streams.viewer_minutes.v1'] as { handleMany: EventBatchHandler }
  let commit!: () => void
  const held = new Promise<void>((resolve) => (commit = resolve))
  let applied!: () => void
  const inFlight = new Promise<void>((resolve) => (applied = resolve))
  const ingest = parts.database.transaction(async (tx) => {
    await handler.handleMany(tx, [event], { clock: systemClock })
    applied()
    await held
  })
  await inFlight
  let settled = false
  const running = meanwhile().finally(() => (settled = true))
  await waitUntil(
    'the summary to be written or to wait for the ingest',
    async () => settled || (await parts.database.sql`select 1 from pg_locks where not granted and database = (select oid from pg_database where datname = current_database())`).length > 0,
    10_000,
  )
  commit()
  await Promise.all([ingest, running])
}

test('an event of an offline session in flight while its summary is written makes the summary current again', async () => {
  await parts.deliver([[online('501', '51'), viewerMinute('501', '51', 0, ['61']), offline('501', '51')]])
  await ingestDuring(viewerMinute('501', '51', 1, ['61', '62']), () => parts.sessions.summarize())
  await parts.sessions.summarize()
  const report = await parts.sessions.report('501')
  expect(report?.summary).toMatchObject({ watch_minutes: 3, unique_viewers: 2, peak_viewers: 2 })
  expect(report?.isFinal).toBe(true)
})

test('an event of a live session in flight while it goes offline and is summarized makes the summary current again', async () => {
  await parts.deliver([[online('502', '52'), viewerMinute('502', '52', 0, ['61'])]])
  await ingestDuring(viewerMinute('502', '52', 1, ['61', '62']), async () => {
    await parts.deliver([[offline('502', '52')]])
    await parts.sessions.summarize()
  })
  await parts.sessions.summarize()
  const report = await parts.sessions.report('502')
  expect(report?.summary).toMatchObject({ watch_minutes: 3, unique_viewers: 2, peak_viewers: 2 })
  expect(report?.isFinal).toBe(true)
})
