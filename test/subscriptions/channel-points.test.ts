import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { systemClock } from '../../src/platform/clock.ts'
import { problemType } from '../../src/platform/http/problem.ts'
import type { TestPlatform } from '../../src/platform/testing/harness.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { subscriptions } from '../../src/modules/subscriptions/index.ts'
import { grantPoints, subscriptionsPlatform, unbalanced } from './channel-points.ts'

const BROADCASTER = '100'
const VIEWER = '200'
const REWARDS = `/api/channel-points/custom-rewards?broadcaster_id=${BROADCASTER}`

type Reward = { id: string; cost: number; is_in_stock: boolean; max_per_stream_setting: { is_enabled: boolean; max_per_stream: number } }
type Redemption = { id: string; status: string; user_input: string; reward: { id: string; cost: number } }

let t: TestPlatform
let broadcaster = ''
let viewer = ''

const body = async <T>(res: Response): Promise<T> => ((await res.json()) as { data: T[] }).data[0]!
const balance = async (token: string) =>
  body<{ balance: number }>(await t.request(`/api/channel-points/balance?broadcaster_id=${BROADCASTER}`, { token })).then((b) => b.balance)
const createReward = async (fields: Record<string, unknown>) => {
  const res = await t.request(REWARDS, { method: 'POST', token: broadcaster, json: fields })
  expect(res.status).toBe(201)
  return body<Reward>(res)
}
const redeem = (rewardId: string, json: Record<string, unknown> = {}, token = viewer) =>
  t.request(`/api/channel-points/custom-rewards/redemptions?broadcaster_id=${BROADCASTER}&reward_id=${rewardId}`, {
    method: 'POST',
    token,
    json,
  })

beforeAll(async () => {
  t = await subscriptionsPlatform()
  broadcaster = await accessTokenFor(t, BROADCASTER)
  viewer = await accessTokenFor(t, VIEWER)
})
afterAll(() => t.close())

describe('custom rewards', () => {
  test('create answers in Helix shape with defaults; update merges; list and delete; each change is announced with its version', async () => {
    const reward = await createReward({ title: 'Hydrate', cost: 100, is_max_per_stream_enabled: true, max_per_stream: 3 })
    expect(reward).toMatchObject({
      broadcaster_id: BROADCASTER,
      title: 'Hydrate',
      cost: 100,
      prompt: '',
      is_enabled: true,
      is_paused: false,
      is_in_stock: true,
      max_per_stream_setting: { is_enabled: true, max_per_stream: 3 },
      max_per_user_per_stream_setting: { is_enabled: false, max_per_user_per_stream: 0 },
      global_cooldown_setting: { is_enabled: false, global_cooldown_seconds: 0 },
      redemptions_redeemed_current_stream: 0,
      cooldown_expires_at: null,
    })
    const patched = await t.request(`${REWARDS}&id=${reward.id}`, { method: 'PATCH', token: broadcaster, json: { cost: 250, prompt: 'Drink!' } })
    expect(patched.status).toBe(200)
    expect(await body(patched)).toMatchObject({ title: 'Hydrate', cost: 250, prompt: 'Drink!' })
    const listed = (await (await t.request(REWARDS)).json()) as { data: Reward[] }
    expect(listed.data.map((r) => r.id)).toContain(reward.id)
    expect((await t.request(`${REWARDS}&id=${reward.id}`, { method: 'DELETE', token: broadcaster })).status).toBe(204)
    expect((await t.request(`${REWARDS}&id=${reward.id}`, { method: 'DELETE', token: broadcaster })).status).toBe(404)
    const events = await t.sql.subscriptions!<{ payload: { reward_id: string; cost: number; deleted: boolean; version: number } }[]>`
      select payload from outbox where type = 'subscriptions.reward_changed.v1' and payload->>'reward_id' = ${reward.id} order by id`
    expect(events.map(({ payload }) => [payload.cost, payload.deleted, payload.version])).toEqual([
      [100, false, 1],
      [250, false, 2],
      [250, true, 3],
    ])
  })

  test('only the broadcaster manages them; a taken title and an enabled limit without value are refused', async () => {
    const foreign = await t.request(REWARDS, { method: 'POST', token: viewer, json: { title: 'Mine', cost: 1 } })
    expect(foreign.status).toBe(403)
    expect(((await foreign.json()) as { type: string }).type).toBe(problemType('channel.not_broadcaster'))
    await createReward({ title: 'Unique', cost: 10 })
    const taken = await t.request(REWARDS, { method: 'POST', token: broadcaster, json: { title: 'UNIQUE', cost: 10 } })
    expect(taken.status).toBe(409)
    const incoherent = await t.request(REWARDS, { method: 'POST', token: broadcaster, json: { title: 'Limit', cost: 10, is_max_per_stream_enabled: true } })
    expect(incoherent.status).toBe(400)
    expect(((await incoherent.json()) as { type: string }).type).toBe(problemType('reward.invalid'))
    const rows = await t.sql.subscriptions!`select id from custom_rewards where title = 'Limit'`
    expect(rows.length).toBe(0)
  })
})

describe('redemptions', () => {
  test('a redemption spends the points; cancel refunds them once; fulfil is final', async () => {
    await grantPoints(t.sql.subscriptions!, BROADCASTER, VIEWER, 1000)
    const reward = await createReward({ title: 'Song request', cost: 300, is_user_input_required: true })
    expect((await redeem(reward.id)).status).toBe(400)
    const res = await redeem(reward.id, { user_input: 'Never gonna give you up' })
    expect(res.status).toBe(201)
    const redemption = await body<Redemption>(res)
    expect(redemption).toMatchObject({ status: 'UNFULFILLED', user_input: 'Never gonna give you up', reward: { id: reward.id, cost: 300 } })
    expect(await balance(viewer)).toBe(700)

    const move = (status: string, token = broadcaster) =>
      t.request(`/api/channel-points/custom-rewards/redemptions?broadcaster_id=${BROADCASTER}&reward_id=${reward.id}&id=${redemption.id}`, {
        method: 'PATCH',
        token,
        json: { status },
      })
    expect((await move('CANCELED', viewer)).status).toBe(403)
    const canceled = await move('CANCELED')
    expect(canceled.status).toBe(200)
    expect(await body<Redemption>(canceled)).toMatchObject({ status: 'CANCELED' })
    expect(await balance(viewer)).toBe(1000)
    expect((await move('CANCELED')).status).toBe(404)
    expect((await move('FULFILLED')).status).toBe(404)
    expect(await balance(viewer)).toBe(1000)

    const listed = await t.request(
      `/api/channel-points/custom-rewards/redemptions?broadcaster_id=${BROADCASTER}&reward_id=${reward.id}&status=CANCELED`,
      { token: broadcaster },
    )
    expect(((await listed.json()) as { data: Redemption[] }).data.map((r) => r.id)).toEqual([redemption.id])
    const types = await t.sql.subscriptions!<{ type: string }[]>`select type from outbox where type like 'subscriptions.redemption_%' order by id`
    expect(types.map((r) => r.type)).toEqual(['subscriptions.redemption_added.v1', 'subscriptions.redemption_updated.v1'])
    expect(await unbalanced(t.sql.subscriptions!)).toEqual([])
  })

  test('a skip-queue reward is FULFILLED at once; short points, a paused reward and an unknown one are refused with nothing written', async () => {
    const instant = await createReward({ title: 'Instant', cost: 50, should_redemptions_skip_request_queue: true })
    expect(await body<Redemption>(await redeem(instant.id))).toMatchObject({ status: 'FULFILLED' })
    const dear = await createReward({ title: 'Dear', cost: 1_000_000 })
    const paused = await createReward({ title: 'Paused', cost: 1, is_paused: true })
    const before = await t.sql.subscriptions!<{ count: number }[]>`select count(*)::int as count from redemptions`
    const short = await redeem(dear.id)
    expect(short.status).toBe(409)
    expect(((await short.json()) as { type: string }).type).toBe(problemType('channel_points.insufficient'))
    expect((await redeem(paused.id)).status).toBe(409)
    expect((await redeem(crypto.randomUUID())).status).toBe(404)
    const after = await t.sql.subscriptions!<{ count: number }[]>`select count(*)::int as count from redemptions`
    expect(after).toEqual(before)
    expect(await unbalanced(t.sql.subscriptions!)).toEqual([])
  })
})

describe('the global cooldown', () => {
  test('a redemption starts it: the next is refused until it expires, and the reward shows it out of stock until then', async () => {
    const reward = await createReward({ title: 'Cooling', cost: 1, is_global_cooldown_enabled: true, global_cooldown_seconds: 60 })
    await grantPoints(t.sql.subscriptions!, BROADCASTER, VIEWER, 10, 'cooldown')
    expect((await redeem(reward.id)).status).toBe(201)
    const refused = await redeem(reward.id)
    expect(refused.status).toBe(409)
    expect(((await refused.json()) as { type: string }).type).toBe(problemType('reward.cooldown'))
    const shown = await body<Reward & { cooldown_expires_at: string | null }>(await t.request(`${REWARDS}&id=${reward.id}`))
    expect(shown.is_in_stock).toBe(false)
    expect(Date.parse(shown.cooldown_expires_at!) - Date.now()).toBeGreaterThan(50_000)
    // As if the minute had passed.
    await t.sql.subscriptions!`update custom_rewards set cooldown_expires_at = now() - interval '1 second' where id = ${reward.id}`
    expect((await redeem(reward.id)).status).toBe(201)
  })
})

describe('the redemption list', () => {
  test('pages oldest first (or newest first) with cursors, every redemption once', async () => {
    const reward = await createReward({ title: 'Paged', cost: 1 })
    await grantPoints(t.sql.subscriptions!, BROADCASTER, VIEWER, 5, 'paged')
    const made: string[] = []
    for (let i = 0; i < 5; i++) made.push((await body<Redemption>(await redeem(reward.id))).id)
    const walk = async (sort: string) => {
      const seen: string[] = []
      let after = ''
      do {
        const res = await t.request(
          `/api/channel-points/custom-rewards/redemptions?broadcaster_id=${BROADCASTER}&reward_id=${reward.id}&sort=${sort}&first=2${after ? `&after=${after}` : ''}`,
          { token: broadcaster },
        )
        expect(res.status).toBe(200)
        const page = (await res.json()) as { data: Redemption[]; pagination: { cursor?: string } }
        seen.push(...page.data.map((r) => r.id))
        after = page.pagination.cursor ?? ''
      } while (after)
      return seen
    }
    expect(await walk('OLDEST')).toEqual(made)
    expect(await walk('NEWEST')).toEqual([...made].reverse())
  })
})

describe('settings', () => {
  test('a channel has at most SUBSCRIPTIONS_MAX_REWARDS_PER_CHANNEL rewards, even when created at once', async () => {
    const few = await subscriptionsPlatform({ SUBSCRIPTIONS_MAX_REWARDS_PER_CHANNEL: '3' })
    try {
      const token = await accessTokenFor(few, BROADCASTER)
      const responses = await Promise.all(
        Array.from({ length: 8 }, (_, i) => few.request(REWARDS, { method: 'POST', token, json: { title: `Reward ${i}`, cost: 1 } })),
      )
      expect(responses.map((r) => r.status).sort()).toEqual([201, 201, 201, 409, 409, 409, 409, 409])
    } finally {
      await few.close()
    }
  }, 20_000)
})

describe('the snapshot', () => {
  test('a consumer joining late gets every current reward as it now is', async () => {
    const rewards = (await (await t.request(REWARDS)).json()) as { data: Reward[] }
    const events: { type: string; payload: { reward_id: string; cost: number } }[] = []
    for await (const page of subscriptions.snapshot!({ sql: t.sql.subscriptions!, types: new Set(['subscriptions.reward_changed.v1']), clock: systemClock })) {
      events.push(...(page as typeof events))
    }
    expect(rewards.data.length).toBeGreaterThan(3)
    expect(events.map((e) => e.type)).toEqual(rewards.data.map(() => 'subscriptions.reward_changed.v1'))
    expect(new Map(events.map((e) => [e.payload.reward_id, e.payload.cost]))).toEqual(new Map(rewards.data.map((r) => [r.id, r.cost])))
  })
})
