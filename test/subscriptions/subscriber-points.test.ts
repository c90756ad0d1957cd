/** Channel points earned while subscribed: 10 per 5 minutes watched, times 1.2 / 1.4 / 2.0 for tiers 1 / 2 / 3. */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { POINTS_PER_FIVE_MINUTES, SUBSCRIBER_MULTIPLIERS } from '../../src/modules/subscriptions/earning.ts'
import { subscriptions } from '../../src/modules/subscriptions/index.ts'
import { deliver } from '../../src/platform/testing/events.ts'
import { movableClock } from '../../src/platform/testing/clock.ts'
import type { TestPlatform } from '../../src/platform/testing/harness.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { register, subscribe, subscribersPlatform } from './subscribers.ts'

let t: TestPlatform
beforeAll(async () => {
  t = await subscribersPlatform(movableClock())
}, 30_000)
afterAll(() => t.close())

test('five minutes earn 12, 14 and 20 points for tier 1, 2 and 3 subscribers, 10 for others', async () => {
  const viewers = { '4001': '1000', '4002': '2000', '4003': '3000' } as const
  for (const id of ['4000', '4004', ...Object.keys(viewers)]) await register(t, id)
  for (const [id, tier] of Object.entries(viewers)) {
    expect((await subscribe(t, await accessTokenFor(t, id), { broadcaster_id: '4000', tier })).status).toBe(201)
  }
  for (let at = 0; at < 5; at++) {
    const { outcome } = await deliver(t, subscriptions, 'streams.viewer_minutes.v1', {
      broadcaster_id: '4000',
      stream_id: 'stream-4000',
      minute: new Date(Date.UTC(2026, 0, 1, 0, at)).toISOString(),
      user_ids: ['4001', '4002', '4003', '4004'],
      anonymous_viewers: 0,
      chunk: 1,
      chunks: 1,
    })
    expect(outcome).toEqual({ status: 'handled' })
  }
  const balances = await t.sql.subscriptions!<{ user_id: string; balance: number }[]>`
    select user_id::text, balance::int from channel_points where broadcaster_id = 4000 order by user_id`
  expect([...balances]).toEqual([
    { user_id: '4001', balance: 12 },
    { user_id: '4002', balance: 14 },
    { user_id: '4003', balance: 20 },
    { user_id: '4004', balance: POINTS_PER_FIVE_MINUTES },
  ])
  expect(SUBSCRIBER_MULTIPLIERS).toEqual({ '1000': 1.2, '2000': 1.4, '3000': 2 })
})
