/**
 * `ingested_facts` is pruned (issue 13): a minute's viewers, chat, donations… claimed longer ago
 * than the retention are forgotten, by one replica's job; a follow's and a subscription's stay,
 * since a producer's snapshot may retell them at any age, and a fresh fact stays claimed.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { pruneFacts } from '../../src/modules/analytics/fact-pruning.ts'
import type { TestPlatform } from '../../src/platform/testing/harness.ts'
import { waitUntil } from '../split/ledgers.ts'
import { analyticsParts, analyticsPlatform } from './analytics.ts'

const START = Date.UTC(2026, 10, 30, 20, 0, 0)
const iso = (ms: number) => new Date(ms).toISOString()
const envelope = (type: string, payload: unknown) => ({ id: crypto.randomUUID(), type, occurredAt: iso(START), payload })
const viewerMinute = (minute: number) =>
  envelope('streams.viewer_minutes.v1', { stream_id: '801', broadcaster_id: '81', minute: iso(START + minute * 60_000), user_ids: ['91'], anonymous_viewers: 0, chunk: 1, chunks: 1 })
const follow = () => envelope('users.followed.v1', { follower_id: '91', followed_id: '81', followed_at: iso(START), version: 1 })
const donation = () => envelope('subscriptions.donation_received.v1', { donation_id: 'd-81', broadcaster_id: '81', user_id: '91', message: '', amount: 300, currency: 'EUR', occurred_at: iso(START) })

let t: TestPlatform
let parts: ReturnType<typeof analyticsParts>

beforeAll(async () => {
  t = await analyticsPlatform()
  parts = analyticsParts(t)
})
afterAll(async () => {
  await parts.close()
  await t.close()
})

const keys = async () => (await parts.database.sql<{ key: string }[]>`select key from ingested_facts order by key`).map((r) => r.key)

/** The module's own pruning job has run once (it runs at start): it cannot take this test's old facts first. */
const firstPruned = async () => {
  const runs = async () =>
    (await (await t.request('/metrics')).text()).split('\n').filter((l) => l.startsWith('job_run_duration_seconds_count{') && l.includes('job="fact-pruning"'))
  await waitUntil('the fact-pruning job to have run once', async () => (await runs()).some((l) => Number(l.split(' ').at(-1)) >= 1), 30_000, runs)
}

test('facts past the retention are forgotten, a follow and fresh facts are kept, and a retold follow still adds nothing', async () => {
  await firstPruned()
  await parts.deliver([[viewerMinute(0), follow(), donation()]])
  await parts.database.sql`update ingested_facts set at = now() - interval '31 days'`
  await parts.deliver([[viewerMinute(1)]])
  const before = await keys()
  expect(before).toHaveLength(4)

  expect(await pruneFacts(parts.database.sql, 30)).toBe(2)
  expect(await keys()).toEqual(before.filter((k) => k.startsWith('follow:') || k.endsWith(`${iso(START + 60_000)}:1`)))
  expect(await pruneFacts(parts.database.sql, 30)).toBe(0)

  // The users snapshot retelling the follow under a new event id: still claimed, still one follow.
  await parts.deliver([[follow()]])
  const [minute] = await parts.database.sql<{ follows: number }[]>`select follows from channel_minutes where broadcaster_id = 81 and minute = ${iso(START)}`
  expect(minute!.follows).toBe(1)
})

test('the pruning is a singleton job of the module', async () => {
  await waitUntil(
    'the fact-pruning job to hold its lock',
    async () => (await (await t.request('/metrics')).text()).includes('job_singleton_lock_held{module="analytics",job="fact-pruning"} 1'),
    10_000,
    async () => (await (await t.request('/metrics')).text()).split('\n').filter((l) => l.startsWith('job_singleton_lock_held')),
  )
})
