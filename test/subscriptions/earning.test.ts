import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { TestPlatform } from '../../src/platform/testing/harness.ts'
import { deliver } from '../../src/platform/testing/events.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { FOLLOW_BONUS_POINTS, POINTS_PER_FIVE_MINUTES } from '../../src/modules/subscriptions/earning.ts'
import { subscriptions } from '../../src/modules/subscriptions/index.ts'
import { grantPoints, subscriptionsPlatform, unbalanced } from './channel-points.ts'

let t: TestPlatform

const balanceOf = async (broadcasterId: string, userId: string) => {
  const [row] = await t.sql.subscriptions!<{ balance: string }[]>`
    select balance from channel_points where broadcaster_id = ${broadcasterId} and user_id = ${userId}`
  return Number(row?.balance ?? 0)
}
const followed = (follower: string, channel: string, version = 1) => ({
  follower_id: follower,
  followed_id: channel,
  followed_at: new Date().toISOString(),
  version,
})
const minute = (channel: string, userIds: string[], at: number) => ({
  stream_id: '1',
  broadcaster_id: channel,
  minute: new Date(Date.UTC(2026, 11, 1, 20, at)).toISOString(),
  user_ids: userIds,
  anonymous_viewers: 0,
  chunk: 1,
  chunks: 1,
})

beforeAll(async () => {
  t = await subscriptionsPlatform()
})
afterAll(() => t.close())

describe('the follow bonus', () => {
  test('a follow earns it once: a redelivery is a duplicate and a later refollow earns nothing more', async () => {
    const first = await deliver(t, subscriptions, 'users.followed.v1', followed('11', '10'))
    expect(first.outcome).toEqual({ status: 'handled' })
    expect(await balanceOf('10', '11')).toBe(FOLLOW_BONUS_POINTS)
    expect((await deliver(t, subscriptions, 'users.followed.v1', followed('11', '10'), { id: first.id })).outcome).toEqual({ status: 'duplicate' })
    expect((await deliver(t, subscriptions, 'users.followed.v1', followed('11', '10', 3))).outcome).toEqual({ status: 'handled' })
    expect(await balanceOf('10', '11')).toBe(FOLLOW_BONUS_POINTS)
    expect(await balanceOf('10', '12')).toBe(0)
    expect(await unbalanced(t.sql.subscriptions!)).toEqual([])
  })
})

describe('watching', () => {
  test('every 5 minutes watched earn 10 points; a replayed minute changes nothing; the broadcaster earns nothing in their own channel', async () => {
    const ids: string[] = []
    for (let at = 0; at < 12; at++) {
      // Viewer 21 listed twice in one minute is one minute.
      const { id, outcome } = await deliver(t, subscriptions, 'streams.viewer_minutes.v1', minute('20', ['21', '22', '21', '20'], at))
      expect(outcome).toEqual({ status: 'handled' })
      ids.push(id)
    }
    for (let at = 12; at < 15; at++) await deliver(t, subscriptions, 'streams.viewer_minutes.v1', minute('20', ['22'], at))
    expect(await balanceOf('20', '21')).toBe(2 * POINTS_PER_FIVE_MINUTES)
    expect(await balanceOf('20', '22')).toBe(3 * POINTS_PER_FIVE_MINUTES)
    expect(await balanceOf('20', '20')).toBe(0)
    for (const [at, id] of ids.entries()) {
      const { outcome } = await deliver(t, subscriptions, 'streams.viewer_minutes.v1', minute('20', ['21', '22', '21', '20'], at), { id })
      expect(outcome).toEqual({ status: 'duplicate' })
    }
    expect(await balanceOf('20', '21')).toBe(2 * POINTS_PER_FIVE_MINUTES)
    expect(await unbalanced(t.sql.subscriptions!)).toEqual([])
  }, 20_000)

  test('a stream going online resets the per-stream limits', async () => {
    const broadcaster = await accessTokenFor(t, '30')
    const viewer = await accessTokenFor(t, '31')
    await grantPoints(t.sql.subscriptions!, '30', '31', 100)
    const created = await t.request('/api/channel-points/custom-rewards?broadcaster_id=30', {
      method: 'POST',
      token: broadcaster,
      json: { title: 'Once', cost: 10, is_max_per_stream_enabled: true, max_per_stream: 1, is_max_per_user_per_stream_enabled: true, max_per_user_per_stream: 1 },
    })
    const reward = ((await created.json()) as { data: { id: string }[] }).data[0]!.id
    const redeem = () => t.request(`/api/channel-points/custom-rewards/redemptions?broadcaster_id=30&reward_id=${reward}`, { method: 'POST', token: viewer, json: {} })
    expect((await redeem()).status).toBe(201)
    expect((await redeem()).status).toBe(409)
    const online = { stream_id: '5', broadcaster_id: '30', broadcaster_login: 'caster', started_at: new Date().toISOString() }
    expect((await deliver(t, subscriptions, 'streams.online.v1', online)).outcome).toEqual({ status: 'handled' })
    expect((await redeem()).status).toBe(201)
    expect(await balanceOf('30', '31')).toBe(80)
  })
})

describe('with the users module', () => {
  test('following over HTTP earns the bonus through the real relay', async () => {
    const ids: string[] = []
    const tokens: string[] = []
    for (const login of ['the_streamer', 'the_follower']) {
      const res = await t.request('/api/auth/register', { method: 'POST', json: { login, email: `${login}@example.test`, password: 'correct horse battery' } })
      expect(res.status).toBe(201)
      const { data } = (await res.json()) as { data: { user_id: string; access_token: string } }
      ids.push(data.user_id)
      tokens.push(data.access_token)
    }
    expect((await t.request(`/api/users/${ids[0]}/follow`, { method: 'PUT', token: tokens[1] })).status).toBe(204)
    let balance = 0
    for (let i = 0; i < 100 && balance === 0; i++) {
      await Bun.sleep(50)
      const res = await t.request(`/api/channel-points/balance?broadcaster_id=${ids[0]}`, { token: tokens[1] })
      balance = ((await res.json()) as { data: { balance: number }[] }).data[0]!.balance
    }
    expect(balance).toBe(FOLLOW_BONUS_POINTS)
  }, 20_000)
})
