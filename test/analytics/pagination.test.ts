/**
 * Long lists are paged the Helix way (`first`, `after`, `pagination.cursor`): a channel's
 * periods, its revenue, the platform's revenue and a viewer's watch time. Paging through gives
 * the whole list once, in order; the CSV download is the whole list whatever the page asked;
 * a cursor the list did not issue is a 400.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { encodeCursor } from '../../src/platform/http/pagination.ts'
import { harmOf } from '../../src/platform/testing/harm.ts'
import type { TestPlatform } from '../../src/platform/testing/harness.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { analyticsParts, analyticsPlatform } from './analytics.ts'

const CHANNELS = ['7101', '7102', '7103']
const VIEWER = '7110'
const DAYS = 45
const DAY_MS = 86_400_000
const FIRST_DAY = Date.UTC(2026, 9, 1, 12, 0, 0)
const RANGE = 'started_at=2026-10-01T00:00:00Z&ended_at=2026-11-30T00:00:00Z'
const iso = (ms: number) => new Date(ms).toISOString()
const envelope = (type: string, payload: unknown) => ({ id: crypto.randomUUID(), type, occurredAt: iso(FIRST_DAY), payload })

let t: TestPlatform
let owner: string
let admin: string
let viewer: string

beforeAll(async () => {
  t = await analyticsPlatform()
  const parts = analyticsParts(t)
  owner = await accessTokenFor(t, CHANNELS[0]!)
  admin = await accessTokenFor(t, '1', ['admin'])
  viewer = await accessTokenFor(t, VIEWER)
  // Every day: the viewer chats in each channel; a donation per currency in the first channel.
  const events = Array.from({ length: DAYS }, (_, d) => [
    ...CHANNELS.map((channel) =>
      envelope('chat.activity.v1', { broadcaster_id: channel, minute: iso(FIRST_DAY + d * DAY_MS), chatters: [{ user_id: VIEWER, messages: d + 1 }], chunk: 1, chunks: 1 }),
    ),
    ...['EUR', 'JPY', 'USD'].map((currency) =>
      envelope('subscriptions.donation_received.v1', { donation_id: `p-${d}-${currency}`, broadcaster_id: CHANNELS[0], user_id: VIEWER, message: '', amount: 100 + d, currency, occurred_at: iso(FIRST_DAY + d * DAY_MS) }),
    ),
  ])
  await parts.deliver(events)
  await parts.rollups.refresh()
  await parts.close()
}, 30_000)
afterAll(() => t.close())

type Page = { data: Record<string, unknown>[]; pagination: { cursor?: string } }

/** Every page of `path` at `first` a page, followed by its cursor; throws on a page larger than asked. */
async function pageThrough(path: string, token: string, first: number): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = []
  for (let after: string | undefined, pages = 0; pages < 100; pages++) {
    const res = await t.request(`${path}&first=${first}${after ? `&after=${after}` : ''}`, { token })
    expect(res.status).toBe(200)
    const page = (await res.json()) as Page
    expect(page.data.length).toBeLessThanOrEqual(first)
    items.push(...page.data)
    after = page.pagination.cursor
    if (!after) return items
    expect(page.data).toHaveLength(first)
  }
  throw new Error(`${path}: more than 100 pages`)
}

const csvLines = async (path: string, token: string) =>
  (await (await t.request(path, { token, headers: { accept: 'text/csv' } })).text()).trim().split('\r\n').slice(1)

const lists = () => [
  { name: "a channel's days", path: `/api/analytics/channels/${CHANNELS[0]}?${RANGE}`, token: owner, length: DAYS },
  { name: "a channel's months", path: `/api/analytics/channels/${CHANNELS[0]}?${RANGE}&granularity=month`, token: owner, length: 2 },
  { name: "a channel's revenue", path: `/api/analytics/channels/${CHANNELS[0]}/revenue?${RANGE}`, token: owner, length: DAYS * 3 },
  { name: "the platform's revenue", path: `/api/analytics/platform/revenue?${RANGE}`, token: admin, length: DAYS * 3 },
  { name: "a viewer's watch time", path: `/api/analytics/users/me/watch-time?${RANGE}`, token: viewer, length: DAYS * CHANNELS.length },
]

describe('paged lists', () => {
  for (const [index, { name }] of lists().entries()) {
    test(`${name}: pages of 7 make the whole list once, in order; 20 by default; the CSV is all of it`, async () => {
      const list = lists()[index]!
      const whole = await pageThrough(list.path, list.token, 100)
      expect(whole).toHaveLength(list.length)
      expect(await pageThrough(list.path, list.token, 7)).toEqual(whole)
      const first = (await (await t.request(list.path, { token: list.token })).json()) as Page
      expect(first.data).toEqual(whole.slice(0, 20))
      expect(Boolean(first.pagination.cursor)).toBe(list.length > 20)
      // The download ignores the page: every item, one line each (the revenue's and days' lines lead with the date).
      expect(await csvLines(`${list.path}&first=1`, list.token)).toHaveLength(list.length)
    })
  }

  test('the watch time is newest day first, then by channel', async () => {
    const days = await pageThrough(lists()[4]!.path, viewer, 50)
    expect(days.slice(0, 3).map((d) => [d.date, d.broadcaster_id])).toEqual(CHANNELS.map((c) => ['2026-11-14', c]))
  })

  test('a cursor the list did not issue, or a page size out of 1–100, is a 400 problem', async () => {
    const cursors = ['nope', encodeCursor(['2026-02-31']), encodeCursor(['0000-01-01']), encodeCursor(['2026-11-01', 'x']), encodeCursor([1]), encodeCursor(['2026-11-01', 'donation', '5000', 'EUR'])]
    for (const list of lists()) {
      for (const after of cursors) {
        const res = await t.request(`${list.path}&after=${after}`, { token: list.token })
        expect(res.status).toBe(400)
        expect(res.headers.get('content-type')).toBe('application/problem+json')
      }
      for (const first of ['0', '101', 'x']) expect((await t.request(`${list.path}&first=${first}`, { token: list.token })).status).toBe(400)
    }
  })

  test('a range outside the years dates are written in (year 1 to 9999, UTC) is a 400 problem', async () => {
    const ranges = ['started_at=0000-01-01T00:00:00Z&ended_at=0000-01-02T00:00:00Z', 'started_at=0001-01-01T00:00:00%2B05:00&ended_at=0001-01-02T00:00:00Z', 'started_at=9999-12-31T00:00:00Z&ended_at=9999-12-31T23:00:00-05:00']
    for (const list of lists()) {
      for (const range of ranges) {
        const res = await t.request(`${list.path.split('?')[0]}?${range}`, { token: list.token })
        expect([res.status, res.headers.get('content-type')]).toEqual([400, 'application/problem+json'])
      }
    }
  })

  test('any `after` and `first`: never a 5xx, and nothing written', async () => {
    const part = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.constantFrom('2026-11-01', '9999-12-31', '0000-01-01', 'donation', '', '\u0000', '1000', 'EUR', '9223372036854775808'))
    const cursor = fc.oneof(fc.string({ maxLength: 40 }), fc.array(part, { maxLength: 5 }).map(encodeCursor))
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...lists()), cursor, fc.oneof(fc.integer({ min: -5, max: 200 }).map(String), fc.string({ maxLength: 5 })), async (list, after, first) => {
        const path = `${list.path}&after=${encodeURIComponent(after)}&first=${encodeURIComponent(first)}`
        expect(await harmOf(t, t.sql.analytics!, path, { token: list.token })).toBeUndefined()
      }),
      { numRuns: 120 },
    )
  }, 60_000)
})
