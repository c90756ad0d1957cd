import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { problemType } from '../../src/platform/http/problem.ts'
import type { TestPlatform } from '../../src/platform/testing/harness.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { subscriptionsPlatform } from './channel-points.ts'

let t: TestPlatform
let owner = ''

type TierView = { tier: string; name: string; price: number; currency: string }
const tiersOf = async (broadcasterId: string) =>
  ((await (await t.request(`/api/subscriptions/tiers?broadcaster_id=${broadcasterId}`)).json()) as { data: TierView[] }).data
const change = (tier: string, json: Record<string, unknown>, token = owner) =>
  t.request(`/api/subscriptions/tiers?broadcaster_id=700&tier=${tier}`, { method: 'PATCH', token, json })
const rows = async () => (await t.sql.subscriptions!`select * from subscription_tiers order by tier`).map((row) => ({ ...row }))

beforeAll(async () => {
  t = await subscriptionsPlatform()
  owner = await accessTokenFor(t, '700')
})
afterAll(() => t.close())

describe('subscription tiers', () => {
  test("a channel nobody priced has Twitch's US prices in minor units", async () => {
    expect(await tiersOf('701')).toEqual([
      { tier: '1000', name: 'Tier 1', price: 499, currency: 'USD' },
      { tier: '2000', name: 'Tier 2', price: 999, currency: 'USD' },
      { tier: '3000', name: 'Tier 3', price: 2499, currency: 'USD' },
    ])
  })

  test('the broadcaster renames and reprices a tier; what is not given stays', async () => {
    const res = await change('2000', { name: 'Super fan', price: 1299 })
    expect(res.status).toBe(200)
    expect((await change('2000', { currency: 'EUR' })).status).toBe(200)
    expect((await tiersOf('700'))[1]).toEqual({ tier: '2000', name: 'Super fan', price: 1299, currency: 'EUR' })
  })

  test("a price outside its currency's bounds, an unknown currency or tier, a stranger: refused, nothing written", async () => {
    const before = await rows()
    const low = await change('1000', { price: 50 })
    expect(low.status).toBe(400)
    expect(((await low.json()) as { type: string }).type).toBe(problemType('tier.price_out_of_range'))
    expect((await change('1000', { price: 4.99 })).status).toBe(400)
    expect((await change('1000', { currency: 'XYZ' })).status).toBe(400)
    expect((await change('4000', { price: 999 })).status).toBe(400)
    expect((await change('1000', { price: 999 }, await accessTokenFor(t, '701'))).status).toBe(403)
    expect(await rows()).toEqual(before)
  })

  test('changes of one tier at once all apply, one after the other', async () => {
    const responses = await Promise.all([change('3000', { name: 'Legend' }), change('3000', { price: 4999 }), change('3000', { currency: 'GBP' })])
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200])
    expect((await tiersOf('700'))[2]).toEqual({ tier: '3000', name: 'Legend', price: 4999, currency: 'GBP' })
  })
})
