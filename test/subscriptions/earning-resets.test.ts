/**
 * A stream going online resets its rewards' per-stream counts while viewers redeem them: the
 * reset and the redemptions lock the same rows (the rewards, then the per-viewer counts), so
 * they must take them in the same order or Postgres breaks a deadlock (40P01) by failing one
 * of them — a redemption answered 500, or the reset's handler retried.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { subscriptions } from '../../src/modules/subscriptions/index.ts'
import { createModuleDatabase, type ModuleDatabase } from '../../src/platform/db/database.ts'
import { createMetrics } from '../../src/platform/metrics.ts'
import { deliver } from '../../src/platform/testing/events.ts'
import type { TestPlatform } from '../../src/platform/testing/harness.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { grantPoints, subscriptionsPlatform, unbalanced } from './channel-points.ts'

const BROADCASTER = '7300'
const VIEWERS = Array.from({ length: 12 }, (_, i) => String(7301 + i))
const REWARDS = 4
const ROUNDS = 10
let t: TestPlatform
/** Where the resets are delivered from: connections of their own beside the app's pool. */
let resets: ModuleDatabase
const tokens = new Map<string, string>()
let rewards: string[] = []

beforeAll(async () => {
  t = await subscriptionsPlatform({ DB_POOL_MAX: '20' })
  resets = createModuleDatabase({ module: 'subscriptions', url: t.databaseUrls.subscriptions!, poolMax: 4, queryDuration: createMetrics().queryDuration })
  const broadcaster = await accessTokenFor(t, BROADCASTER)
  for (const viewer of VIEWERS) {
    tokens.set(viewer, await accessTokenFor(t, viewer))
    await grantPoints(t.sql.subscriptions!, BROADCASTER, viewer, 1_000_000)
  }
  for (let i = 0; i < REWARDS; i++) {
    const res = await t.request(`/api/channel-points/custom-rewards?broadcaster_id=${BROADCASTER}`, {
      method: 'POST',
      token: broadcaster,
      // A per-viewer limit, so a redemption locks its viewer's count after the reward.
      json: { title: `Hydrate ${i}`, cost: 1, is_max_per_user_per_stream_enabled: true, max_per_user_per_stream: 1000 },
    })
    expect(res.status).toBe(201)
    rewards.push(((await res.json()) as { data: { id: string }[] }).data[0]!.id)
  }
}, 30_000)
afterAll(async () => {
  await resets.close()
  await t.close()
})

const redeem = (reward: string, viewer: string) =>
  t.request(`/api/channel-points/custom-rewards/redemptions?broadcaster_id=${BROADCASTER}&reward_id=${reward}`, {
    method: 'POST',
    token: tokens.get(viewer)!,
    json: {},
  })
const online = (round: number, n: number) =>
  deliver(resets, subscriptions, 'streams.online.v1', {
    stream_id: String(round * 10 + n + 1),
    broadcaster_id: BROADCASTER,
    broadcaster_login: 'resetter',
    started_at: new Date().toISOString(),
  })
/** Deadlocks Postgres has broken in this test's database (the statistics of its backends, flushed when idle). */
const deadlocks = async () => {
  await Bun.sleep(1500)
  const [row] = await t.sql.subscriptions!<{ n: number }[]>`
    select pg_stat_clear_snapshot(), (select deadlocks::int from pg_stat_database where datname = current_database()) as n`
  return row!.n
}

test('stream-online resets racing redemptions of the same rewards never deadlock', async () => {
  const statuses: Record<number, number> = {}
  for (let round = 0; round < ROUNDS; round++) {
    const redemptions = VIEWERS.flatMap((viewer, v) => [redeem(rewards[v % REWARDS]!, viewer), redeem(rewards[(v + 1) % REWARDS]!, viewer)])
    const [answers, outcomes] = await Promise.all([Promise.all(redemptions), Promise.all([online(round, 0), online(round, 1)])])
    for (const res of answers) statuses[res.status] = (statuses[res.status] ?? 0) + 1
    expect(outcomes.map((o) => o.outcome)).toEqual([{ status: 'handled' }, { status: 'handled' }])
  }
  expect({ statuses, deadlocks: await deadlocks() }).toEqual({ statuses: { 201: ROUNDS * VIEWERS.length * 2 }, deadlocks: 0 })
  expect(await unbalanced(t.sql.subscriptions!)).toEqual([])
}, 120_000)
