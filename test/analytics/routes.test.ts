/**
 * The analytics API over a recorded stream: the owner and admins read it (JSON, CSV, SVG),
 * nobody else; a late event lands in its minute and makes the summary current again; the
 * business gauges on /metrics; and every route under random input answers a 4xx problem, never a 5xx.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { harmOf } from '../../src/platform/testing/harm.ts'
import type { TestPlatform } from '../../src/platform/testing/harness.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { analyticsParts, analyticsPlatform } from './analytics.ts'

const CHANNEL = '7001'
const OTHER = '7002'
const VIEWER = '7010'
const STREAM = '9001'
const START = Date.UTC(2026, 10, 30, 20, 0, 30)
const iso = (ms: number) => new Date(ms).toISOString()
const at = (minutes: number, seconds = 0) => iso(START - 30_000 + minutes * 60_000 + seconds * 1000)

let t: TestPlatform
let parts: ReturnType<typeof analyticsParts>
let owner: string
let viewer: string
let admin: string

const envelope = (type: string, payload: unknown, occurredAt = at(0)) => ({ id: crypto.randomUUID(), type, occurredAt, payload })
const viewerMinute = (minute: number, userIds: string[], anonymous: number) =>
  envelope('streams.viewer_minutes.v1', { stream_id: STREAM, broadcaster_id: CHANNEL, minute: at(minute), user_ids: userIds, anonymous_viewers: anonymous, chunk: 1, chunks: 1 })

beforeAll(async () => {
  t = await analyticsPlatform()
  parts = analyticsParts(t)
  owner = await accessTokenFor(t, CHANNEL)
  viewer = await accessTokenFor(t, VIEWER)
  admin = await accessTokenFor(t, '1', ['admin'])
  await parts.deliver([
    [
      envelope('streams.online.v1', { stream_id: STREAM, broadcaster_id: CHANNEL, broadcaster_login: 'caster', started_at: iso(START) }),
      viewerMinute(0, [VIEWER, '7011'], 3),
      viewerMinute(1, [VIEWER], 1),
      viewerMinute(2, [VIEWER, '7011', '7012'], 0),
      envelope('chat.activity.v1', { broadcaster_id: CHANNEL, minute: at(1), chatters: [{ user_id: VIEWER, messages: 4 }], chunk: 1, chunks: 1 }),
      envelope('users.followed.v1', { follower_id: '7012', followed_id: CHANNEL, followed_at: at(2, 10), version: 1 }),
      envelope('subscriptions.donation_received.v1', { donation_id: 'd1', broadcaster_id: CHANNEL, user_id: VIEWER, message: 'hi', amount: 500, currency: 'EUR', occurred_at: at(1, 5) }),
      envelope('streams.offline.v1', { stream_id: STREAM, broadcaster_id: CHANNEL, ended_at: at(3, 0), reason: 'publish_done' }),
    ],
  ])
  await parts.sessions.summarize()
  await parts.rollups.refresh()
}, 30_000)
afterAll(async () => {
  await parts.close()
  await t.close()
})

describe("a stream's analytics", () => {
  test('its broadcaster reads the summary and the timeline; it is final once offline and summarized', async () => {
    const res = await t.request(`/api/analytics/streams/${STREAM}`, { token: owner })
    expect(res.status).toBe(200)
    const { data } = (await res.json()) as { data: Record<string, unknown>[] }
    expect(data[0]).toMatchObject({
      stream_id: STREAM,
      broadcaster_id: CHANNEL,
      is_final: true,
      duration_seconds: 150,
      peak_viewers: 5,
      average_viewers: 3.33,
      unique_viewers: 3,
      watch_minutes: 10,
      chat_messages: 4,
      unique_chatters: 1,
      follows: 1,
      donations: 1,
      revenue: [{ currency: 'EUR', amount: 500 }],
    })
    expect((data[0]!.timeline as { viewers: number }[]).map((m) => m.viewers)).toEqual([5, 2, 3])
  })

  test('another viewer is refused; an admin reads it; an unknown stream is a 404; a bad id a 400', async () => {
    const refused = await t.request(`/api/analytics/streams/${STREAM}`, { token: viewer })
    expect(refused.status).toBe(403)
    expect(((await refused.json()) as { type: string }).type).toContain('analytics.not_owner')
    expect((await t.request(`/api/analytics/streams/${STREAM}`, { token: admin })).status).toBe(200)
    expect((await t.request('/api/analytics/streams/123456', { token: admin })).status).toBe(404)
    expect((await t.request('/api/analytics/streams/abc', { token: admin })).status).toBe(400)
    expect((await t.request(`/api/analytics/streams/${STREAM}`)).status).toBe(401)
  })

  test('the timeline as CSV and the viewers as an SVG chart', async () => {
    const csv = await t.request(`/api/analytics/streams/${STREAM}`, { token: owner, headers: { accept: 'text/csv' } })
    expect(csv.headers.get('content-type')).toStartWith('text/csv')
    const lines = (await csv.text()).trim().split('\r\n')
    expect(lines[0]).toStartWith('minute,viewers,chatters,messages')
    expect(lines.slice(1).map((l) => l.split(',')[1])).toEqual(['5', '2', '3'])
    const svg = await t.request(`/api/analytics/streams/${STREAM}/viewers.svg`, { token: owner })
    expect(svg.headers.get('content-type')).toStartWith('image/svg+xml')
    const text = await svg.text()
    expect(text).toStartWith('<svg')
    expect(text).toContain('<polyline')
    expect((await t.request(`/api/analytics/streams/${STREAM}/viewers.svg`, { token: viewer })).status).toBe(403)
  })

  test('a late event lands in the minute it happened and the summary is made again', async () => {
    await parts.deliver([[envelope('users.followed.v1', { follower_id: '7013', followed_id: CHANNEL, followed_at: at(0, 40), version: 1 }, iso(Date.now()))]])
    const stale = (await (await t.request(`/api/analytics/streams/${STREAM}`, { token: owner })).json()) as { data: { follows: number; is_final: boolean; timeline: { follows: number }[] }[] }
    expect(stale.data[0]).toMatchObject({ follows: 2, is_final: false })
    expect(stale.data[0]!.timeline.map((m) => m.follows)).toEqual([1, 0, 1])
    expect(await parts.sessions.summarize()).toBe(1)
    const final = (await (await t.request(`/api/analytics/streams/${STREAM}`, { token: owner })).json()) as { data: { follows: number; is_final: boolean }[] }
    expect(final.data[0]).toMatchObject({ follows: 2, is_final: true })
  })
})

describe("a channel's analytics", () => {
  test('per day from the rollups, with as_of; as CSV; a viewer is refused, an admin is not', async () => {
    const path = `/api/analytics/channels/${CHANNEL}?started_at=2026-11-01T00:00:00Z&ended_at=2026-11-30T23:59:59Z`
    const res = await t.request(path, { token: owner })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { data: Record<string, unknown>[]; as_of: string }
    expect(Date.parse(body.as_of)).toBeLessThanOrEqual(Date.now())
    expect(body.data).toEqual([expect.objectContaining({ date: '2026-11-30', peak_viewers: 5, watch_minutes: 10, unique_viewers: 3, chat_messages: 4, donations: 1 })])
    const csv = await (await t.request(path, { token: admin, headers: { accept: 'text/csv' } })).text()
    expect(csv.split('\r\n')[1]).toStartWith('2026-11-30,3,5,3.33,10,3,1,4,')
    expect((await t.request(path, { token: viewer })).status).toBe(403)
    const monthly = (await (await t.request(`${path}&granularity=month`, { token: owner })).json()) as { data: { date: string }[] }
    expect(monthly.data.map((p) => p.date)).toEqual(['2026-11-01'])
  })

  test('revenue by source and currency, never converted', async () => {
    const res = await t.request(`/api/analytics/channels/${CHANNEL}/revenue?started_at=2026-11-30T00:00:00Z&ended_at=2026-11-30T23:00:00Z`, { token: owner })
    expect(((await res.json()) as { data: unknown[] }).data).toEqual([{ date: '2026-11-30', source: 'donation', tier: '', currency: 'EUR', amount: 500, payments: 1 }])
    expect((await t.request(`/api/analytics/channels/${OTHER}/revenue`, { token: owner })).status).toBe(403)
  })

  test('a range that ends before it starts, or is too long, is a 400', async () => {
    for (const query of ['started_at=2026-11-30T00:00:00Z&ended_at=2026-11-01T00:00:00Z', 'started_at=2020-01-01T00:00:00Z&ended_at=2026-01-01T00:00:00Z', 'granularity=week']) {
      const res = await t.request(`/api/analytics/channels/${CHANNEL}?${query}`, { token: owner })
      expect(res.status).toBe(400)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
    }
  })
})

describe('the viewer and the platform', () => {
  test("a viewer's own watch time and chat per channel and day", async () => {
    const res = await t.request('/api/analytics/users/me/watch-time?started_at=2026-11-30T00:00:00Z&ended_at=2026-11-30T23:00:00Z', { token: viewer })
    expect(((await res.json()) as { data: unknown[] }).data).toEqual([{ broadcaster_id: CHANNEL, date: '2026-11-30', watch_minutes: 3, chat_messages: 4 }])
  })

  test('platform totals are for admins', async () => {
    expect((await t.request('/api/analytics/platform', { token: owner })).status).toBe(403)
    const res = await t.request('/api/analytics/platform', { token: admin })
    expect(((await res.json()) as { data: unknown[] }).data[0]).toMatchObject({ live_streams: 0, revenue_total: [{ currency: 'EUR', amount: 500 }] })
    const revenue = await t.request('/api/analytics/platform/revenue?started_at=2026-11-30T00:00:00Z&ended_at=2026-11-30T23:00:00Z', { token: admin, headers: { accept: 'text/csv' } })
    expect((await revenue.text()).split('\r\n')[1]).toBe('2026-11-30,donation,,EUR,500,1')
  })

  test('the business gauges and counters on /metrics, with bounded labels', async () => {
    const text = await (await t.request('/metrics')).text()
    expect(text).toContain('analytics_live_streams 0')
    expect(text).toContain('analytics_follows_total 2')
    expect(text).toContain('analytics_chat_messages_total 4')
    expect(text).toContain('analytics_revenue_minor_total{currency="EUR"} 500')
    expect(text).toContain('analytics_subscriptions_active{tier="1000"} 0')
    expect(text).toMatch(/analytics_rollup_age_seconds\{rollup="channel_daily"\} [0-9.e+-]+/)
  })
})

describe('analytics routes under random input', () => {
  const routes = [
    (id: string) => `/api/analytics/streams/${id}`,
    (id: string) => `/api/analytics/streams/${id}/viewers.svg`,
    (id: string) => `/api/analytics/channels/${id}?started_at=${id}&ended_at=${id}&granularity=${id}`,
    (id: string) => `/api/analytics/channels/${CHANNEL}?started_at=${id}`,
    (id: string) => `/api/analytics/channels/${id}/revenue?granularity=${id}`,
    (id: string) => `/api/analytics/users/me/watch-time?started_at=${id}&ended_at=${id}`,
    (id: string) => `/api/analytics/platform/revenue?started_at=${id}&granularity=${id}`,
  ]
  const id = fc.oneof(
    fc.string({ maxLength: 30 }).map(encodeURIComponent),
    fc.bigInt({ min: -10n, max: 10n ** 20n }).map(String),
    fc.date({ min: new Date(0), max: new Date(Date.UTC(9999, 0, 1)), noInvalidDate: true }).map((d) => encodeURIComponent(d.toISOString())),
    fc.constantFrom(CHANNEL, STREAM, '0', '-1', '9223372036854775808', 'day', 'month', '%00', '2026-11-30T00:00:00+25:00'),
  )
  test('never answer 5xx, and a refusal is problem+json and writes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), id, fc.constantFrom(owner, viewer, admin), fc.constantFrom('text/csv', 'application/json', '*/*'), async (route, value, token, accept) => {
        expect(await harmOf(t, t.sql.analytics!, route(value), { token, headers: { accept } })).toBeUndefined()
      }),
      { numRuns: 150 },
    )
  }, 120_000)
})
