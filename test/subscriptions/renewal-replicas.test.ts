/**
 * Two platforms on one set of databases (two replicas), both running the renewals job on one
 * moved clock: every due subscription is renewed exactly once — one payment, one event.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { loadConfig } from '../../src/platform/config.ts'
import { waitFor } from '../../src/platform/events/test-probe.ts'
import { createPlatform, type Platform } from '../../src/platform/platform.ts'
import { movableClock } from '../../src/platform/testing/clock.ts'
import type { TestPlatform } from '../../src/platform/testing/harness.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { DAY_MS, outboxOf, register, subscribe, SUBSCRIBERS_ENV, SUBSCRIBERS_MODULES, subscribersPlatform } from './subscribers.ts'

const clock = movableClock(new Date('2026-05-01T00:00:00Z'))
let t: TestPlatform
let replica: Platform
const VIEWERS = Array.from({ length: 12 }, (_, i) => String(3101 + i))

beforeAll(async () => {
  t = await subscribersPlatform(clock)
  const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: '.data/test', ...SUBSCRIBERS_ENV })
  replica = await createPlatform(
    { ...config, modules: SUBSCRIBERS_MODULES.map((m) => m.name), databaseUrls: t.databaseUrls },
    SUBSCRIBERS_MODULES,
    { clock },
  )
  await register(t, '3100')
  for (const id of VIEWERS) {
    await register(t, id)
    expect((await subscribe(t, await accessTokenFor(t, id), { broadcaster_id: '3100', tier: '1000' })).status).toBe(201)
  }
}, 60_000)
afterAll(async () => {
  await replica.stop()
  await t.close()
})

test('each due subscription renews once with two replicas running the job', async () => {
  const sql = t.sql.subscriptions!
  for (let month = 2; month <= 4; month++) {
    clock.advance(30 * DAY_MS)
    await waitFor(`month ${month}`, async () => {
      const [row] = await sql<{ renewed: number }[]>`select count(*)::int as renewed from subscriptions where cumulative_months = ${month}`
      return row!.renewed === VIEWERS.length
    })
  }
  // Several more runs of both jobs at this time change nothing.
  await Bun.sleep(300)
  const months = await sql<{ cumulative_months: number }[]>`select cumulative_months from subscriptions where broadcaster_id = 3100`
  expect(months.map((m) => m.cumulative_months)).toEqual(VIEWERS.map(() => 4))
  const [paid] = await sql<{ n: number }[]>`select count(*)::int as n from payments where kind = 'subscription' and details->>'renewal' = 'true'`
  expect(paid!.n).toBe(3 * VIEWERS.length)
  const renewed = await outboxOf<{ subscription_id: string; version: number }>(sql, 'subscriptions.subscription_renewed.v1')
  expect(renewed).toHaveLength(3 * VIEWERS.length)
  expect(new Set(renewed.map((e) => `${e.subscription_id}:${e.version}`)).size).toBe(3 * VIEWERS.length)
}, 60_000)
