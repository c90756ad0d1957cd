/**
 * Renewals and expiries on a moved clock, through the real job (every 20 ms here) and the dev
 * provider's checkout: months as Twitch counts them, cancel at period end, lapses, tier changes
 * and price changes at the next renewal.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { subscriptionsEvents } from '../../src/contracts/subscriptions.ts'
import { subscriptions } from '../../src/modules/subscriptions/index.ts'
import { waitFor } from '../../src/platform/events/test-probe.ts'
import { problemType } from '../../src/platform/http/problem.ts'
import { movableClock } from '../../src/platform/testing/clock.ts'
import type { TestPlatform } from '../../src/platform/testing/harness.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { DAY_MS, gift, outboxOf, register, subscribe, subscribersPlatform, subscriptionRow } from './subscribers.ts'

const clock = movableClock(new Date('2026-01-01T00:00:00Z'))
let t: TestPlatform
const tokens: Record<string, string> = {}
const CHANNEL = '900'

beforeAll(async () => {
  t = await subscribersPlatform(clock)
  for (const id of [CHANNEL, '901', '902', '903', '904', '905']) {
    await register(t, id)
    tokens[id] = await accessTokenFor(t, id)
  }
}, 30_000)
afterAll(() => t.close())

const sql = () => t.sql.subscriptions!
const row = (user: string) => subscriptionRow(sql(), CHANNEL, user)
const paymentsOf = (user: string) =>
  sql()<{ amount: number; details: { renewal?: boolean } }[]>`
    select amount::int, details from payments where kind = 'subscription' and purchaser_id = ${user} and status = 'succeeded' order by created_at`
/** Several runs of the job: whatever it would do at this time, it has done. */
const settle = () => Bun.sleep(200)

describe('renewals', () => {
  test('12 monthly renewals across a moved clock give cumulative_months 13, each charged once', async () => {
    expect((await subscribe(t, tokens['901']!, { broadcaster_id: CHANNEL, tier: '1000', message: 'hi' })).status).toBe(201)
    expect(await row('901')).toMatchObject({ status: 'active', cumulative_months: 1, streak_months: 1, renews: true })
    for (let month = 2; month <= 13; month++) {
      clock.advance(30 * DAY_MS)
      await waitFor(`month ${month}`, async () => (await row('901'))!.cumulative_months === month)
    }
    await settle()
    const renewed = await row('901')
    expect(renewed).toMatchObject({ status: 'active', cumulative_months: 13, streak_months: 13 })
    expect(renewed!.current_period_end.getTime()).toBe(new Date('2026-01-01T00:00:00Z').getTime() + 13 * 30 * DAY_MS)
    const paid = await paymentsOf('901')
    expect(paid).toHaveLength(13)
    expect(paid.filter((p) => p.details.renewal === true)).toHaveLength(12)
    const events = (await outboxOf<{ user_id: string; cumulative_months: number; version: number }>(sql(), 'subscriptions.subscription_renewed.v1')).filter(
      (e) => e.user_id === '901',
    )
    expect(events.map((e) => e.cumulative_months)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13])
    expect(events.map((e) => e.version)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13])
  }, 60_000)

  test('a canceled subscription keeps access until its period ends, then ends (canceled), not before', async () => {
    expect((await subscribe(t, tokens['902']!, { broadcaster_id: CHANNEL, tier: '1000' })).status).toBe(201)
    const canceled = await t.request(`/api/subscriptions?broadcaster_id=${CHANNEL}`, { method: 'DELETE', token: tokens['902'] })
    expect(canceled.status).toBe(200)
    expect(((await canceled.json()) as { data: { renews: boolean; status: string }[] }).data[0]).toMatchObject({ renews: false, status: 'active' })
    clock.advance(30 * DAY_MS - 60_000)
    await settle()
    expect(await row('902')).toMatchObject({ status: 'active', cumulative_months: 1 })
    expect((await t.request(`/api/subscriptions/user?broadcaster_id=${CHANNEL}&user_id=902`, { token: tokens['902'] })).status).toBe(200)
    clock.advance(60_000)
    await waitFor('the end of the period', async () => (await row('902'))!.status === 'ended')
    expect(await row('902')).toMatchObject({ end_reason: 'canceled', cumulative_months: 1 })
    expect(await paymentsOf('902')).toHaveLength(1)
    const ended = (await outboxOf<{ user_id: string; reason: string }>(sql(), 'subscriptions.subscription_ended.v1')).filter((e) => e.user_id === '902')
    expect(ended.map((e) => e.reason)).toEqual(['canceled'])
    expect((await t.request(`/api/subscriptions/user?broadcaster_id=${CHANNEL}&user_id=902`, { token: tokens['902'] })).status).toBe(404)
  })

  test('the streak starts again after a lapse; cumulative months count on', async () => {
    expect((await subscribe(t, tokens['903']!, { broadcaster_id: CHANNEL, tier: '1000' })).status).toBe(201)
    clock.advance(30 * DAY_MS)
    await waitFor('a renewal', async () => (await row('903'))!.cumulative_months === 2)
    expect((await t.request(`/api/subscriptions?broadcaster_id=${CHANNEL}`, { method: 'DELETE', token: tokens['903'] })).status).toBe(200)
    clock.advance(30 * DAY_MS)
    await waitFor('the lapse', async () => (await row('903'))!.status === 'ended')
    clock.advance(5 * DAY_MS)
    const again = await subscribe(t, tokens['903']!, { broadcaster_id: CHANNEL, tier: '1000', message: 'back!' })
    expect(again.status).toBe(201)
    expect(await row('903')).toMatchObject({ status: 'active', cumulative_months: 3, streak_months: 1, renews: true })
    const started = (await outboxOf<{ user_id: string; cumulative_months: number; streak_months: number; message: string }>(
      sql(),
      'subscriptions.subscription_started.v1',
    )).filter((e) => e.user_id === '903')
    expect(started.map((e) => [e.cumulative_months, e.streak_months, e.message])).toEqual([
      [1, 1, ''],
      [3, 1, 'back!'],
    ])
  })

  test('a tier change and a price change apply at the next renewal, not before', async () => {
    expect((await subscribe(t, tokens['904']!, { broadcaster_id: CHANNEL, tier: '1000' })).status).toBe(201)
    const changed = await t.request(`/api/subscriptions?broadcaster_id=${CHANNEL}`, { method: 'PATCH', token: tokens['904'], json: { tier: '3000' } })
    expect(changed.status).toBe(200)
    expect(((await changed.json()) as { data: { tier: string; next_tier: string }[] }).data[0]).toMatchObject({ tier: '1000', next_tier: '3000' })
    const priced = await t.request(`/api/subscriptions/tiers?broadcaster_id=${CHANNEL}&tier=3000`, {
      method: 'PATCH',
      token: tokens[CHANNEL],
      json: { price: 1999 },
    })
    expect(priced.status).toBe(200)
    expect(await row('904')).toMatchObject({ tier: '1000', next_tier: '3000' })
    clock.advance(30 * DAY_MS)
    await waitFor('the renewal', async () => (await row('904'))!.cumulative_months === 2)
    expect(await row('904')).toMatchObject({ tier: '3000', next_tier: null, streak_months: 2 })
    expect((await paymentsOf('904')).map((p) => p.amount)).toEqual([499, 1999])
    const tierChanges = (await outboxOf<{ user_id: string; tier: string; from_tier: string }>(sql(), 'subscriptions.subscription_tier_changed.v1')).filter(
      (e) => e.user_id === '904',
    )
    expect(tierChanges.map((e) => [e.from_tier, e.tier])).toEqual([['1000', '3000']])
  })

  test('subscribing to yourself is refused, and so is a second subscription that renews already', async () => {
    const self = await subscribe(t, tokens[CHANNEL]!, { broadcaster_id: CHANNEL, tier: '1000' })
    expect(self.status).toBe(400)
    expect(((await self.json()) as { type: string }).type).toBe(problemType('subscription.own_channel'))
    expect((await subscribe(t, tokens['905']!, { broadcaster_id: CHANNEL, tier: '2000' })).status).toBe(201)
    expect((await subscribe(t, tokens['905']!, { broadcaster_id: CHANNEL, tier: '2000' })).status).toBe(409)
    expect(await paymentsOf('905')).toHaveLength(1)
  })

  test('one Idempotency-Key fired 30 times at once: one payment, one subscription, one answer', async () => {
    await register(t, '906')
    tokens['906'] = await accessTokenFor(t, '906')
    const answers = await Promise.all(
      Array.from({ length: 30 }, () => subscribe(t, tokens['906']!, { broadcaster_id: CHANNEL, tier: '1000' }, 'one-key')),
    )
    expect(new Set(answers.map((res) => res.status))).toEqual(new Set([201]))
    const bodies = await Promise.all(answers.map((res) => res.json() as Promise<{ data: { payment_id: string }[] }>))
    expect(new Set(bodies.map((b) => b.data[0]!.payment_id)).size).toBe(1)
    expect(await paymentsOf('906')).toHaveLength(1)
    expect(await row('906')).toMatchObject({ status: 'active', cumulative_months: 1 })
  }, 30_000)
})

describe('the snapshot', () => {
  test('tells a late consumer every active subscription as its start, with months, version and what its period was paid, and no ended one', async () => {
    // A channel priced in euros, with a bought and a gifted subscription.
    for (const id of ['910', '907', '908']) {
      await register(t, id)
      tokens[id] = await accessTokenFor(t, id)
    }
    const priced = await t.request('/api/subscriptions/tiers?broadcaster_id=910&tier=1000', { method: 'PATCH', token: tokens['910'], json: { price: 450, currency: 'EUR' } })
    expect(priced.status).toBe(200)
    expect((await subscribe(t, tokens['907']!, { broadcaster_id: '910', tier: '1000' })).status).toBe(201)
    expect((await gift(t, tokens['907']!, { broadcaster_id: '910', tier: '1000', user_id: '908' })).status).toBe(201)

    const events: { type: string; payload: unknown }[] = []
    for await (const page of subscriptions.snapshot!({ sql: sql(), types: new Set(['subscriptions.subscription_started.v1']), clock })) events.push(...page)
    const active = await sql()<{ user_id: string; cumulative_months: number; version: number }[]>`
      select user_id::text, cumulative_months, version from subscriptions where status = 'active' order by user_id`
    const told = events
      .map((e) => subscriptionsEvents['subscriptions.subscription_started.v1'].parse(e.payload))
      .sort((a, b) => a.user_id.localeCompare(b.user_id))
    expect(told.map((p) => ({ user_id: p.user_id, cumulative_months: p.cumulative_months, version: p.version }))).toEqual([...active])
    expect(told.map((p) => p.user_id)).not.toContain('902')
    // The current period's payment: 904's renewal at the new price, 905's tier 2, the euro channel's, nothing for a gift.
    expect(Object.fromEntries(told.map((p) => [p.user_id, [p.amount, p.currency]]))).toEqual({
      '901': [499, 'USD'],
      '903': [499, 'USD'],
      '904': [1999, 'USD'],
      '905': [999, 'USD'],
      '906': [499, 'USD'],
      '907': [450, 'EUR'],
      '908': [0, 'EUR'],
    })
  })
})
