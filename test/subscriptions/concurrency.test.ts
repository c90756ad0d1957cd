/**
 * Channel points under concurrency, against real Postgres: many redemptions at once never
 * overspend a balance nor pass a reward's limits, and the books always add up.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import type { TestPlatform } from '../../src/platform/testing/harness.ts'
import { problemType } from '../../src/platform/http/problem.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { grantPoints, subscriptionsPlatform, unbalanced } from './channel-points.ts'

const BROADCASTER = '7000'
let t: TestPlatform
let broadcaster = ''
const tokens = new Map<string, string>()

const tokenOf = async (userId: string) => {
  if (!tokens.has(userId)) tokens.set(userId, await accessTokenFor(t, userId))
  return tokens.get(userId)!
}
const createReward = async (fields: Record<string, unknown>): Promise<string> => {
  const res = await t.request(`/api/channel-points/custom-rewards?broadcaster_id=${BROADCASTER}`, { method: 'POST', token: broadcaster, json: fields })
  expect(res.status).toBe(201)
  return ((await res.json()) as { data: { id: string }[] }).data[0]!.id
}
const redeem = async (rewardId: string, userId: string) =>
  t.request(`/api/channel-points/custom-rewards/redemptions?broadcaster_id=${BROADCASTER}&reward_id=${rewardId}`, {
    method: 'POST',
    token: await tokenOf(userId),
    json: {},
  })
const statuses = (responses: Response[]) => {
  const counts: Record<number, number> = {}
  for (const res of responses) counts[res.status] = (counts[res.status] ?? 0) + 1
  return counts
}
/** The problem codes of the refused ones: under concurrency each must still name its own reason. */
const refusals = async (responses: Response[]) =>
  new Set(await Promise.all(responses.filter((res) => res.status !== 201).map(async (res) => ((await res.json()) as { type: string }).type)))
const balanceOf = async (userId: string) => {
  const [row] = await t.sql.subscriptions!<{ balance: string }[]>`
    select balance from channel_points where broadcaster_id = ${BROADCASTER} and user_id = ${userId}`
  return Number(row?.balance ?? 0)
}

beforeAll(async () => {
  // A pool big enough that the requests really overlap in the database.
  t = await subscriptionsPlatform({ DB_POOL_MAX: '20' })
  broadcaster = await accessTokenFor(t, BROADCASTER)
})
afterAll(() => t.close())

describe('concurrent redemptions', () => {
  test('200 at once on one balance: exactly ⌊balance / cost⌋ succeed and the balance stays ≥ 0', async () => {
    await grantPoints(t.sql.subscriptions!, BROADCASTER, '1', 1000)
    const reward = await createReward({ title: 'Seven', cost: 7 })
    const responses = await Promise.all(Array.from({ length: 200 }, () => redeem(reward, '1')))
    expect(statuses(responses)).toEqual({ 201: Math.floor(1000 / 7), 409: 200 - Math.floor(1000 / 7) })
    expect(await refusals(responses)).toEqual(new Set([problemType('channel_points.insufficient')]))
    expect(await balanceOf('1')).toBe(1000 - Math.floor(1000 / 7) * 7)
    expect(await unbalanced(t.sql.subscriptions!)).toEqual([])
  }, 30_000)

  test('max_per_stream is exact under 100 concurrent redemptions by 100 viewers', async () => {
    const viewers = Array.from({ length: 100 }, (_, i) => String(2000 + i))
    for (const viewer of viewers) await grantPoints(t.sql.subscriptions!, BROADCASTER, viewer, 10)
    await Promise.all(viewers.map(tokenOf))
    const reward = await createReward({ title: 'Limited', cost: 5, is_max_per_stream_enabled: true, max_per_stream: 37 })
    const responses = await Promise.all(viewers.map((viewer) => redeem(reward, viewer)))
    expect(statuses(responses)).toEqual({ 201: 37, 409: 63 })
    expect(await refusals(responses)).toEqual(new Set([problemType('reward.out_of_stock')]))
    const [row] = await t.sql.subscriptions!<{ redeemed: number }[]>`
      select redemptions_redeemed_current_stream as redeemed from custom_rewards where id = ${reward}`
    expect(row?.redeemed).toBe(37)
    expect(await unbalanced(t.sql.subscriptions!)).toEqual([])
  }, 30_000)

  test('max_per_user_per_stream is exact under 100 concurrent redemptions, 10 each by 10 viewers', async () => {
    const viewers = Array.from({ length: 10 }, (_, i) => String(3000 + i))
    for (const viewer of viewers) await grantPoints(t.sql.subscriptions!, BROADCASTER, viewer, 1000)
    await Promise.all(viewers.map(tokenOf))
    const reward = await createReward({ title: 'Per user', cost: 10, is_max_per_user_per_stream_enabled: true, max_per_user_per_stream: 3 })
    const responses = await Promise.all(viewers.flatMap((viewer) => Array.from({ length: 10 }, () => redeem(reward, viewer))))
    expect(statuses(responses)).toEqual({ 201: 30, 409: 70 })
    expect(await refusals(responses)).toEqual(new Set([problemType('reward.user_limit')]))
    for (const viewer of viewers) expect(await balanceOf(viewer)).toBe(1000 - 3 * 10)
    expect(await unbalanced(t.sql.subscriptions!)).toEqual([])
  }, 30_000)

  test('a balance that runs out before the per-user limit: 50 at once, the count is only what was redeemed', async () => {
    await grantPoints(t.sql.subscriptions!, BROADCASTER, '4000', 30)
    const reward = await createReward({ title: 'Short', cost: 10, is_max_per_user_per_stream_enabled: true, max_per_user_per_stream: 5 })
    const responses = await Promise.all(Array.from({ length: 50 }, () => redeem(reward, '4000')))
    expect(statuses(responses)).toEqual({ 201: 3, 409: 47 })
    expect(await refusals(responses)).toEqual(new Set([problemType('channel_points.insufficient')]))
    const [counted] = await t.sql.subscriptions!<{ count: number }[]>`
      select count from reward_user_counts where reward_id = ${reward} and user_id = '4000'`
    expect(counted?.count).toBe(3)
    const [row] = await t.sql.subscriptions!<{ redeemed: number }[]>`
      select redemptions_redeemed_current_stream as redeemed from custom_rewards where id = ${reward}`
    expect(row?.redeemed).toBe(3)
    expect(await balanceOf('4000')).toBe(0)
    expect(await unbalanced(t.sql.subscriptions!)).toEqual([])
  }, 30_000)
})

describe('the books', () => {
  type Step = { kind: 'grant'; user: number; points: number } | { kind: 'redeem'; user: number } | { kind: 'move'; status: 'FULFILLED' | 'CANCELED' }
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ kind: fc.constant('grant' as const), user: fc.integer({ min: 0, max: 3 }), points: fc.integer({ min: 1, max: 200 }) }),
    fc.record({ kind: fc.constant('redeem' as const), user: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ kind: fc.constant('move' as const), status: fc.constantFrom('FULFILLED' as const, 'CANCELED' as const) }),
  )

  test('after a randomized run (grants, redemptions in bursts, fulfils and cancels) every balance is the sum of its ledger and of the model', async () => {
    const reward = await createReward({ title: 'Books', cost: 30 })
    let run = 0
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(step, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 8 }), async (bursts) => {
        run += 1
        const users = [0, 1, 2, 3].map((u) => String(900_000 + run * 10 + u))
        const model = new Map(users.map((u) => [u, 0]))
        const open: { id: string; user: string }[] = []
        let grants = 0
        for (const burst of bursts) {
          // Each burst runs at once; the model applies what the server says happened.
          await Promise.all(
            burst.map(async (s) => {
              if (s.kind === 'grant') {
                const user = users[s.user]!
                grants += 1
                await grantPoints(t.sql.subscriptions!, BROADCASTER, user, s.points, `grant-${run}-${grants}`)
                model.set(user, model.get(user)! + s.points)
              } else if (s.kind === 'redeem') {
                const user = users[s.user]!
                const res = await redeem(reward, user)
                expect([201, 409]).toContain(res.status)
                if (res.status === 201) {
                  model.set(user, model.get(user)! - 30)
                  open.push({ id: ((await res.json()) as { data: { id: string }[] }).data[0]!.id, user })
                }
              } else {
                const target = open.shift()
                if (!target) return
                const res = await t.request(
                  `/api/channel-points/custom-rewards/redemptions?broadcaster_id=${BROADCASTER}&reward_id=${reward}&id=${target.id}`,
                  { method: 'PATCH', token: broadcaster, json: { status: s.status } },
                )
                expect(res.status).toBe(200)
                if (s.status === 'CANCELED') model.set(target.user, model.get(target.user)! + 30)
              }
            }),
          )
        }
        for (const user of users) {
          const balance = await balanceOf(user)
          expect(balance).toBe(model.get(user)!)
          expect(balance).toBeGreaterThanOrEqual(0)
        }
        expect(await unbalanced(t.sql.subscriptions!)).toEqual([])
      }),
      { numRuns: 25 },
    )
  }, 60_000)
})
