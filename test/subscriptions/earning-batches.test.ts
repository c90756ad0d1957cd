/**
 * Watch minutes delivered as the transport hands them over: many viewer-minutes events in one
 * delivery, counted in one statement (bench/points-accrual.ts), earning what one event at a
 * time would have earned — a block crossed twice in one batch earns twice, never more.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import pino from 'pino'
import { Registry } from 'prom-client'
import { POINTS_PER_FIVE_MINUTES } from '../../src/modules/subscriptions/earning.ts'
import { subscriptions } from '../../src/modules/subscriptions/index.ts'
import { createModuleDatabase, type ModuleDatabase } from '../../src/platform/db/database.ts'
import { createInbox } from '../../src/platform/events/inbox.ts'
import { createEventMetrics } from '../../src/platform/events/metrics.ts'
import { createMetrics } from '../../src/platform/metrics.ts'
import type { TestPlatform } from '../../src/platform/testing/harness.ts'
import { subscriptionsPlatform, unbalanced } from './channel-points.ts'

let t: TestPlatform
let database: ModuleDatabase
beforeAll(async () => {
  t = await subscriptionsPlatform()
  database = createModuleDatabase({ module: 'subscriptions', url: t.databaseUrls.subscriptions!, poolMax: 2, queryDuration: createMetrics().queryDuration })
})
afterAll(async () => {
  await database.close()
  await t.close()
})

const deliverBatch = (payloads: object[]) =>
  createInbox({
    module: 'subscriptions',
    database,
    consumes: subscriptions.consumes ?? {},
    metrics: createEventMetrics(new Registry(), { outboxes: async () => [], lag: async () => [] }),
    log: pino({ level: 'silent' }),
  }).deliver(payloads.map((payload) => ({ id: crypto.randomUUID(), type: 'streams.viewer_minutes.v1', occurredAt: new Date().toISOString(), payload })))

const minute = (channel: string, userIds: string[], at: number) => ({
  stream_id: '1',
  broadcaster_id: channel,
  minute: new Date(Date.UTC(2026, 11, 1, 21, at)).toISOString(),
  user_ids: userIds,
  anonymous_viewers: 0,
  chunk: 1,
  chunks: 1,
})
const balanceOf = async (broadcasterId: string, userId: string) =>
  Number((await t.sql.subscriptions!`select balance from channel_points where broadcaster_id = ${broadcasterId} and user_id = ${userId}`)[0]?.balance ?? 0)

test('minutes of many events in one delivery: each viewer-minute once, each completed block of 5 earns once', async () => {
  // Channel 40: viewer 41 all 12 minutes (listed twice in each), 42 the first 7, the broadcaster too; channel 50 alongside.
  const batch = Array.from({ length: 12 }, (_, at) => [
    minute('40', ['41', '41', '40', ...(at < 7 ? ['42'] : [])], at),
    minute('50', ['41'], at),
  ]).flat()
  const outcomes = await deliverBatch(batch)
  expect(outcomes.every((o) => o.status === 'handled')).toBe(true)
  const minutes = await t.sql.subscriptions!`select broadcaster_id::text, user_id::text, minutes::int from watch_minutes order by 1, 2`
  expect(minutes.map((r) => [r.broadcaster_id, r.user_id, r.minutes])).toEqual([
    ['40', '41', 12],
    ['40', '42', 7],
    ['50', '41', 12],
  ])
  expect(await balanceOf('40', '41')).toBe(2 * POINTS_PER_FIVE_MINUTES)
  expect(await balanceOf('40', '42')).toBe(POINTS_PER_FIVE_MINUTES)
  expect(await balanceOf('40', '40')).toBe(0)

  // Three more minutes complete viewer 41's third block in channel 40, and nothing else.
  await deliverBatch([12, 13, 14].map((at) => minute('40', ['41'], at)))
  expect(await balanceOf('40', '41')).toBe(3 * POINTS_PER_FIVE_MINUTES)
  expect(await balanceOf('50', '41')).toBe(2 * POINTS_PER_FIVE_MINUTES)
  const blocks = await t.sql.subscriptions!`select reference from channel_points_ledger where broadcaster_id = 40 and user_id = 41 and reason = 'watch' order by reference`
  expect(blocks.map((r) => r.reference)).toEqual(['1', '2', '3'])
  expect(await unbalanced(t.sql.subscriptions!)).toEqual([])
})
