/**
 * Every reason a redemption is refused, against real Postgres: a redemption is one statement,
 * which must still say why it refused — the reason's problem code, the most fundamental reason
 * first when several hold — and write nothing (no redemption, ledger entry, event, counter,
 * cooldown or per-user count).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { problemType } from '../../src/platform/http/problem.ts'
import type { TestPlatform } from '../../src/platform/testing/harness.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { grantPoints, subscriptionsPlatform, unbalanced } from './channel-points.ts'

const BROADCASTER = '300'
const OTHER_BROADCASTER = '301'

let t: TestPlatform
let viewers = 400

/** What a refused redemption must leave as it was. */
const books = async () => {
  const [row] = await t.sql.subscriptions!`
    select (select count(*)::int from redemptions) as redemptions,
      (select count(*)::int from channel_points_ledger) as ledger,
      (select count(*)::int from outbox where type like 'subscriptions.redemption%') as events,
      (select coalesce(json_agg(c order by reward_id, user_id), '[]') from reward_user_counts c) as per_user,
      (select json_agg(json_build_object('id', id, 'redeemed', redemptions_redeemed_current_stream, 'cooldown', cooldown_expires_at)
        order by id) from custom_rewards) as rewards,
      (select json_agg(balance order by broadcaster_id, user_id) from channel_points) as balances`
  return row
}
const createReward = async (broadcasterId: string, fields: Record<string, unknown>): Promise<string> => {
  const res = await t.request(`/api/channel-points/custom-rewards?broadcaster_id=${broadcasterId}`, {
    method: 'POST',
    token: await accessTokenFor(t, broadcasterId),
    json: fields,
  })
  expect(res.status).toBe(201)
  return ((await res.json()) as { data: { id: string }[] }).data[0]!.id
}
const redeem = (rewardId: string, token: string, userInput?: string) =>
  t.request(`/api/channel-points/custom-rewards/redemptions?broadcaster_id=${BROADCASTER}&reward_id=${rewardId}`, {
    method: 'POST',
    token,
    json: userInput === undefined ? {} : { user_input: userInput },
  })
/** A viewer of its own with `points` (none at all, not even a balance row, for 0). */
const newViewer = async (points: number) => {
  viewers += 1
  const id = String(viewers)
  if (points > 0) await grantPoints(t.sql.subscriptions!, BROADCASTER, id, points)
  return { id, token: await accessTokenFor(t, id) }
}

beforeAll(async () => {
  t = await subscriptionsPlatform()
})
afterAll(() => t.close())

type Case = {
  name: string
  reward: Record<string, unknown> | 'unknown' | 'another channel'
  points: number
  /** Redemptions the viewer makes first (which succeed). */
  earlier?: number
  input?: string
  refused: [status: number, code: string]
}

const cases: Case[] = [
  { name: 'an unknown reward', reward: 'unknown', points: 100, refused: [404, 'reward.not_found'] },
  { name: "another channel's reward", reward: 'another channel', points: 100, refused: [404, 'reward.not_found'] },
  { name: 'a disabled reward', reward: { cost: 10, is_enabled: false }, points: 100, refused: [409, 'reward.unavailable'] },
  { name: 'a paused reward', reward: { cost: 10, is_paused: true }, points: 100, refused: [409, 'reward.unavailable'] },
  { name: 'no message for a reward that needs one', reward: { cost: 10, is_user_input_required: true }, points: 100, refused: [400, 'redemption.input_required'] },
  { name: 'a blank message', reward: { cost: 10, is_user_input_required: true }, points: 100, input: '   ', refused: [400, 'redemption.input_required'] },
  { name: 'a reward out of stock this stream', reward: { cost: 10, is_max_per_stream_enabled: true, max_per_stream: 1 }, points: 100, earlier: 1, refused: [409, 'reward.out_of_stock'] },
  { name: 'a reward cooling down', reward: { cost: 10, is_global_cooldown_enabled: true, global_cooldown_seconds: 600 }, points: 100, earlier: 1, refused: [409, 'reward.cooldown'] },
  { name: "the viewer's limit this stream", reward: { cost: 10, is_max_per_user_per_stream_enabled: true, max_per_user_per_stream: 2 }, points: 100, earlier: 2, refused: [409, 'reward.user_limit'] },
  { name: 'too few points', reward: { cost: 10 }, points: 9, refused: [409, 'channel_points.insufficient'] },
  { name: 'no points ever earned here', reward: { cost: 10 }, points: 0, refused: [409, 'channel_points.insufficient'] },
  // Several reasons at once: the most fundamental one.
  { name: 'paused, no message and too few points', reward: { cost: 10, is_paused: true, is_user_input_required: true }, points: 1, refused: [409, 'reward.unavailable'] },
  { name: 'no message and out of stock', reward: { cost: 10, is_user_input_required: true, is_max_per_stream_enabled: true, max_per_stream: 1 }, points: 100, earlier: 1, input: '', refused: [400, 'redemption.input_required'] },
  { name: 'out of stock and cooling down', reward: { cost: 10, is_max_per_stream_enabled: true, max_per_stream: 1, is_global_cooldown_enabled: true, global_cooldown_seconds: 600 }, points: 100, earlier: 1, refused: [409, 'reward.out_of_stock'] },
  { name: "cooling down and at the viewer's limit", reward: { cost: 10, is_global_cooldown_enabled: true, global_cooldown_seconds: 600, is_max_per_user_per_stream_enabled: true, max_per_user_per_stream: 1 }, points: 100, earlier: 1, refused: [409, 'reward.cooldown'] },
  { name: "at the viewer's limit and too few points", reward: { cost: 10, is_max_per_user_per_stream_enabled: true, max_per_user_per_stream: 1 }, points: 10, earlier: 1, refused: [409, 'reward.user_limit'] },
]

describe('a refused redemption', () => {
  test.each(cases.map((c, i) => [c.name, c, i] as const))('%s: its own problem, nothing written', async (_, c, i) => {
    const viewer = await newViewer(c.points)
    const rewardId =
      c.reward === 'unknown'
        ? crypto.randomUUID()
        : await createReward(c.reward === 'another channel' ? OTHER_BROADCASTER : BROADCASTER, { title: `Refusal ${i}`, ...(c.reward === 'another channel' ? { cost: 10 } : c.reward) })
    for (let n = 0; n < (c.earlier ?? 0); n++) expect((await redeem(rewardId, viewer.token, 'first')).status).toBe(201)
    const before = await books()
    const res = await redeem(rewardId, viewer.token, c.input)
    expect(res.status).toBe(c.refused[0])
    expect(res.headers.get('content-type')).toStartWith('application/problem+json')
    const problem = (await res.json()) as { type: string; errors?: { field: string }[] }
    expect(problem.type).toBe(problemType(c.refused[1]))
    if (c.refused[1] === 'redemption.input_required') expect(problem.errors?.map((e) => e.field)).toEqual(['user_input'])
    expect(await books()).toEqual(before)
  })

  test("a per-user count taken for a balance that then falls short is given back: the viewer's one redemption is still there", async () => {
    const viewer = await newViewer(5)
    const rewardId = await createReward(BROADCASTER, { title: 'Once each', cost: 10, is_max_per_user_per_stream_enabled: true, max_per_user_per_stream: 1 })
    const before = await books()
    const short = await redeem(rewardId, viewer.token)
    expect(((await short.json()) as { type: string }).type).toBe(problemType('channel_points.insufficient'))
    expect(await books()).toEqual(before)
    await grantPoints(t.sql.subscriptions!, BROADCASTER, viewer.id, 5, 'top-up')
    expect((await redeem(rewardId, viewer.token)).status).toBe(201)
    const again = await redeem(rewardId, viewer.token)
    expect(((await again.json()) as { type: string }).type).toBe(problemType('reward.user_limit'))
    expect(await unbalanced(t.sql.subscriptions!)).toEqual([])
  })

  test('a redemption writes the row, its ledger entry, the counters, the cooldown and one event, all from the one statement', async () => {
    const viewer = await newViewer(100)
    const rewardId = await createReward(BROADCASTER, {
      title: 'Everything',
      prompt: 'Say it',
      cost: 30,
      is_user_input_required: true,
      is_max_per_stream_enabled: true,
      max_per_stream: 5,
      is_max_per_user_per_stream_enabled: true,
      max_per_user_per_stream: 5,
      is_global_cooldown_enabled: true,
      global_cooldown_seconds: 120,
    })
    const res = await redeem(rewardId, viewer.token, 'hello')
    expect(res.status).toBe(201)
    const redemption = ((await res.json()) as { data: { id: string }[] }).data[0]!
    expect(redemption).toMatchObject({
      broadcaster_id: BROADCASTER,
      user_id: viewer.id,
      user_input: 'hello',
      status: 'UNFULFILLED',
      reward: { id: rewardId, title: 'Everything', prompt: 'Say it', cost: 30 },
    })
    const sql = t.sql.subscriptions!
    const [reward] = await sql<{ redeemed: number; cooling_for: number }[]>`
      select redemptions_redeemed_current_stream as redeemed, extract(epoch from cooldown_expires_at - now())::int as cooling_for
      from custom_rewards where id = ${rewardId}`
    expect(reward!.redeemed).toBe(1)
    expect(reward!.cooling_for).toBeGreaterThan(100)
    const counts = await sql`select count from reward_user_counts where reward_id = ${rewardId} and user_id = ${viewer.id}`
    expect([...counts]).toEqual([{ count: 1 }])
    const ledger = await sql`select delta::int, reason from channel_points_ledger where user_id = ${viewer.id} and reference = ${redemption.id}`
    expect([...ledger]).toEqual([{ delta: -30, reason: 'redemption' }])
    const events = await sql<{ payload: unknown }[]>`
      select payload from outbox where type = 'subscriptions.redemption_added.v1' and payload->>'id' = ${redemption.id}`
    expect(events.map((e) => e.payload)).toEqual([redemption])
  })
})
