/** Donations on the dev provider: paid at once through the confirmation a Stripe event takes, listed, ranked, idempotent. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { problemType } from '../../src/platform/http/problem.ts'
import { publishedEvents } from '../../src/platform/testing/events.ts'
import type { TestPlatform } from '../../src/platform/testing/harness.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { subscriptions } from '../../src/modules/subscriptions/index.ts'
import { subscriptionsPlatform } from './channel-points.ts'
import { signatureOf } from './payments-stripe.ts'
import { register } from './subscribers.ts'

let t: TestPlatform
let owner = ''
let fan = ''
let other = ''

const donate = (token: string, json: unknown, key?: string, broadcaster = '700') =>
  t.request(`/api/subscriptions/donations?broadcaster_id=${broadcaster}`, {
    method: 'POST',
    token,
    json,
    headers: key === undefined ? {} : { 'idempotency-key': key },
  })
type Page = { data: { id: string; user_id: string | null; amount: number; message: string; status: string }[]; pagination: { cursor?: string } }
const count = async (table: 'payments' | 'donations' | 'outbox') => {
  const [row] = await t.sql.subscriptions!<{ n: number }[]>`select count(*)::int as n from ${t.sql.subscriptions!(table)}`
  return row!.n
}

beforeAll(async () => {
  t = await subscriptionsPlatform({ DB_POOL_MAX: '10' })
  owner = await accessTokenFor(t, '700')
  fan = await accessTokenFor(t, '701')
  other = await accessTokenFor(t, '702')
  await register(t, '700')
})
afterAll(() => t.close())

describe('donations (dev provider)', () => {
  test('a donation is paid at once: payment succeeded, donation recorded, donation_received in the outbox', async () => {
    const res = await donate(fan, { amount: 500, currency: 'USD', message: 'GG!' })
    expect(res.status).toBe(201)
    const [payment] = ((await res.json()) as { data: { payment_id: string; status: string; checkout_url: null }[] }).data
    expect(payment).toMatchObject({ status: 'succeeded', checkout_url: null, kind: 'donation', amount: 500, currency: 'USD' })
    const [row] = await t.sql.subscriptions!`select status, provider, confirmed_at from payments where id = ${payment!.payment_id}`
    expect(row).toMatchObject({ status: 'succeeded', provider: 'dev' })
    const events = (await publishedEvents(t, subscriptions)).filter((e) => e.type === 'subscriptions.donation_received.v1')
    expect(events.map((e) => e.payload)).toEqual([
      expect.objectContaining({ broadcaster_id: '700', user_id: '701', message: 'GG!', amount: 500, currency: 'USD' }),
    ])
  })

  test('an anonymous donation names nobody, in its event and in the list', async () => {
    expect((await donate(other, { amount: 2000, currency: 'USD', is_anonymous: true })).status).toBe(201)
    const events = (await publishedEvents(t, subscriptions)).filter((e) => e.type === 'subscriptions.donation_received.v1')
    expect(events.at(-1)!.payload).toMatchObject({ user_id: null, amount: 2000 })
    const page = (await (await t.request('/api/subscriptions/donations?broadcaster_id=700', { token: owner })).json()) as Page
    expect(page.data[0]).toMatchObject({ user_id: null, amount: 2000, status: 'received' })
  })

  test('a channel nobody knows is a 404 that writes nothing', async () => {
    const before = [await count('payments'), await count('donations'), await count('outbox')]
    const res = await donate(fan, { amount: 500, currency: 'USD' }, undefined, '799')
    expect(res.status).toBe(404)
    expect(((await res.json()) as { type: string }).type).toBe(problemType('subscription.channel_not_found'))
    expect([await count('payments'), await count('donations'), await count('outbox')]).toEqual(before)
  })

  test('bounds per currency, a message of at most 500 visible characters, known currencies only: 400s that write nothing', async () => {
    const before = [await count('payments'), await count('donations'), await count('outbox')]
    const refused = [
      { amount: 99, currency: 'USD' },
      { amount: 1_000_001, currency: 'USD' },
      { amount: 99, currency: 'JPY' },
      { amount: 500, currency: 'XYZ' },
      { amount: 500, currency: 'usd' },
      { amount: 5.5, currency: 'USD' },
      { amount: -500, currency: 'USD' },
      { amount: 500, currency: 'USD', message: 'x'.repeat(501) },
      { amount: 500, currency: 'USD', message: 'evil\u202etxt' },
      { amount: 500, currency: 'USD', extra: true },
    ]
    for (const body of refused) {
      const res = await donate(fan, body)
      expect(res.status).toBe(400)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
    }
    expect(((await (await donate(fan, { amount: 99, currency: 'USD' })).json()) as { type: string }).type).toBe(
      problemType('donation.amount_out_of_range'),
    )
    expect([await count('payments'), await count('donations'), await count('outbox')]).toEqual(before)
    expect((await donate(fan, { amount: 100, currency: 'JPY', message: 'x'.repeat(500) })).status).toBe(201)
  })

  test('the list is the broadcaster’s alone and pages with cursors, newest first', async () => {
    expect((await t.request('/api/subscriptions/donations?broadcaster_id=700', { token: fan })).status).toBe(403)
    for (let i = 0; i < 5; i++) expect((await donate(fan, { amount: 100 + i, currency: 'EUR' })).status).toBe(201)
    const seen: string[] = []
    let after = ''
    for (;;) {
      const res = await t.request(`/api/subscriptions/donations?broadcaster_id=700&first=2${after}`, { token: owner })
      expect(res.status).toBe(200)
      const page = (await res.json()) as Page
      seen.push(...page.data.map((d) => d.id))
      if (!page.pagination.cursor) break
      after = `&after=${page.pagination.cursor}`
    }
    expect(seen.length).toBe(await count('donations'))
    expect(new Set(seen).size).toBe(seen.length)
    expect((await t.request('/api/subscriptions/donations?broadcaster_id=700&after=bm90LWEtY3Vyc29y', { token: owner })).status).toBe(400)
  })

  test('top donors: named ones, per currency and period, ranked by what they gave', async () => {
    const board = async (query: string) =>
      (await (await t.request(`/api/subscriptions/donations/leaderboard?broadcaster_id=700${query}`)).json()) as {
        data: { user_id: string; rank: number; score: number }[]
        date_range: { started_at: string; ended_at: string } | null
      }
    const all = await board('&currency=USD')
    // 702 gave 2000 anonymously: nobody's score.
    expect(all.data).toEqual([{ user_id: '701', rank: 1, score: 500 }])
    expect(all.date_range).toBeNull()
    const month = await board('&currency=EUR&period=month')
    expect(month.data).toEqual([{ user_id: '701', rank: 1, score: 100 + 101 + 102 + 103 + 104 }])
    expect(month.date_range!.started_at.slice(8, 10)).toBe('01')
    expect((await board('&currency=EUR&period=day&started_at=2020-01-01T00:00:00Z')).data).toEqual([])
    expect((await t.request('/api/subscriptions/donations/leaderboard?broadcaster_id=700&period=decade')).status).toBe(400)
  })

  test('the same Idempotency-Key and body: one payment, the same answer; another body: 422, nothing written', async () => {
    const first = await donate(fan, { amount: 300, currency: 'GBP' }, 'tip-1')
    const again = await donate(fan, { amount: 300, currency: 'GBP' }, 'tip-1')
    expect([first.status, again.status]).toEqual([201, 201])
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(await again.json()).toEqual(await first.json())
    const before = [await count('payments'), await count('donations'), await count('outbox')]
    const other = await donate(fan, { amount: 301, currency: 'GBP' }, 'tip-1')
    expect(other.status).toBe(422)
    expect([await count('payments'), await count('donations'), await count('outbox')]).toEqual(before)
  })

  test('without STRIPE_WEBHOOK_SECRET the webhook takes nothing, even a delivery signed with some secret', async () => {
    const payload = JSON.stringify({ id: 'evt_1', object: 'event', type: 'checkout.session.completed', data: { object: {} } })
    const before = [await count('payments'), await count('donations'), await count('outbox')]
    const res = await t.request('/api/subscriptions/webhooks/stripe', {
      method: 'POST',
      body: payload,
      headers: { 'content-type': 'application/json', 'stripe-signature': await signatureOf(payload) },
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { type: string }).type).toBe(problemType('payment.signature_invalid'))
    expect([await count('payments'), await count('donations'), await count('outbox')]).toEqual(before)
  })

  test('50 requests at once with one key: one payment, one donation, one event, one answer', async () => {
    const before = [await count('payments'), await count('donations'), await count('outbox')]
    const responses = await Promise.all(Array.from({ length: 50 }, () => donate(fan, { amount: 700, currency: 'CAD', message: 'once' }, 'burst')))
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(201))
    const bodies = await Promise.all(responses.map((r) => r.json()))
    for (const body of bodies) expect(body).toEqual(bodies[0])
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true').length).toBe(49)
    expect([await count('payments'), await count('donations'), await count('outbox')]).toEqual(before.map((n) => n + 1))
  }, 30_000)
})
