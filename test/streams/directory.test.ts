/**
 * The live directory and its viewers: streams made live through the real callbacks, counts from
 * heartbeats (in memory, and in Redis), paging that stays stable while counts move, viewer
 * minutes as batched events.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createAudience, VIEWER_MINUTES_CHUNK } from '../../src/modules/streams/audience.ts'
import { streams } from '../../src/modules/streams/index.ts'
import { createMemoryViewers, minuteOf } from '../../src/modules/streams/viewers.ts'
import { users } from '../../src/modules/users/index.ts'
import { createModuleDatabase } from '../../src/platform/db/database.ts'
import { createMetrics } from '../../src/platform/metrics.ts'
import { createMemoryRateLimiter } from '../../src/platform/rate-limit.ts'
import { publishedEvents } from '../../src/platform/testing/events.ts'
import { createTestPlatform, testRedisUrl, type TestPlatform } from '../../src/platform/testing/harness.ts'
import { addBroadcaster, goLive, type Broadcaster } from './broadcasters.ts'

const SECRET = 'directory-secret-0123456789abcdefghijkl'
const redisUrl = testRedisUrl('streams viewer counts shared through Redis')

type Listed = { id: string; user_login: string; viewer_count: number; game_id: string; language: string; thumbnail_url: string; is_mature: boolean }
type Page = { data: Listed[]; pagination: { cursor?: string } }

const beat = (t: TestPlatform, streamId: string, sessionId: string, token?: string) =>
  t.request(`/api/streams/${streamId}/heartbeat`, { method: 'POST', json: { session_id: sessionId }, token })

async function listAll(t: TestPlatform, first: number, between?: () => Promise<void>): Promise<Listed[]> {
  const seen: Listed[] = []
  let cursor: string | undefined
  do {
    const res = await t.request(`/api/streams?first=${first}${cursor ? `&after=${cursor}` : ''}`)
    expect(res.status).toBe(200)
    const page = (await res.json()) as Page
    seen.push(...page.data)
    cursor = page.pagination.cursor
    if (cursor && between) await between()
  } while (cursor)
  return seen
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await Bun.sleep(50)
  }
}

describe.each([
  ['in memory', {}],
  ...(redisUrl ? [['through Redis', { REDIS_URL: redisUrl, STREAMS_REDIS_PREFIX: `test:streams:${crypto.randomUUID()}` }] as const] : []),
])('the directory, viewers counted %s', (_, env) => {
  let t: TestPlatform
  let channels: Broadcaster[]
  const ids: string[] = []
  beforeAll(async () => {
    // The shared Redis keeps per-address heartbeat counts across runs: the limit is tested below, in memory.
    t = await createTestPlatform([users, streams], { STREAMS_INGEST_SECRET: SECRET, STREAMS_VIEWER_REFRESH_MS: '100', STREAMS_HEARTBEATS_PER_MINUTE: '1000000', ...env })
    channels = await Promise.all(['ch_a', 'ch_b', 'ch_c', 'ch_d', 'ch_e'].map((login, i) => addBroadcaster(t, String(401 + i), login)))
    for (const [i, channel] of channels.entries()) ids.push(await goLive(t, SECRET, channel, String(i + 1)))
  }, 30_000)
  afterAll(() => t.close(), 30_000)

  const counts = async () => Object.fromEntries((await listAll(t, 100)).map((s) => [s.user_login, s.viewer_count]))

  test('heartbeats of distinct sessions make viewer_count; the list is sorted by it', async () => {
    // ch_c: 3 viewers (one beating twice), ch_a: 2, ch_e: 1, the others none.
    for (const [stream, sessions] of [[ids[2]!, ['s-c-1', 's-c-2', 's-c-3', 's-c-1']], [ids[0]!, ['s-a-1', 's-a-2']], [ids[4]!, ['s-e-1']]] as const) {
      for (const session of sessions) expect((await beat(t, stream, `session-${session}`)).status).toBe(204)
    }
    // Each stream's count is written on its own refresh: wait for all three, not the first.
    await until('counts in the directory', async () => {
      const now = await counts()
      return now.ch_c === 3 && now.ch_a === 2 && now.ch_e === 1
    })
    const listed = await listAll(t, 100)
    expect(listed.map((s) => [s.user_login, s.viewer_count])).toEqual([
      ['ch_c', 3],
      ['ch_a', 2],
      ['ch_e', 1],
      ['ch_b', 0],
      ['ch_d', 0],
    ])
    expect(listed[0]).toMatchObject({ thumbnail_url: '/api/streams/thumbnails/ch_c/{width}x{height}.jpg', is_mature: false, language: 'en' })
  })

  test('paging keeps the first page’s order while counts change: nobody twice, nobody skipped', async () => {
    let round = 0
    const shuffle = async () => {
      // Push the streams shown last to the top, then wait until the directory has taken it in.
      round++
      for (const stream of [ids[1]!, ids[3]!]) {
        for (let i = 0; i < 6; i++) await beat(t, stream, `session-shuffle-${round}-${stream}-${i}`)
      }
      await until('the new order', async () => (await counts()).ch_b! >= 6 * round)
    }
    const listed = await listAll(t, 2, shuffle)
    expect(round).toBeGreaterThan(0)
    expect(listed.map((s) => s.user_login).sort()).toEqual(['ch_a', 'ch_b', 'ch_c', 'ch_d', 'ch_e'])
    // A fresh listing sees the new order.
    expect((await listAll(t, 100)).slice(0, 2).map((s) => s.user_login).sort()).toEqual(['ch_b', 'ch_d'])
  })

  test('filters by login, id, language and game; bad input is a 400 problem', async () => {
    const one = (await (await t.request('/api/streams?user_login=CH_A&user_id=405')).json()) as Page
    expect(one.data.map((s) => s.user_login).sort()).toEqual(['ch_a', 'ch_e'])
    expect(((await (await t.request('/api/streams?language=fr')).json()) as Page).data).toEqual([])
    for (const query of ['first=0', 'first=101', 'user_id=abc', 'after=bm9wZQ', `after=${btoa('[999999,0]')}`, 'type=vod', 'language=english']) {
      const res = await t.request(`/api/streams?${query}`)
      expect(res.status).toBe(400)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
    }
  })

  test('heartbeats for a stream that is not live are 404; malformed ones 400; an invalid token 401', async () => {
    expect((await beat(t, '999999', 'session-nobody-1')).status).toBe(404)
    expect((await beat(t, ids[0]!, 'short')).status).toBe(400)
    expect((await beat(t, ids[0]!, 'session-with-bad-token', 'a.b.c')).status).toBe(401)
  })
})

describe('heartbeats per address', () => {
  test('are limited (429 with Retry-After)', async () => {
    const t = await createTestPlatform([users, streams], { STREAMS_INGEST_SECRET: SECRET, STREAMS_HEARTBEATS_PER_MINUTE: '3' })
    try {
      const id = await goLive(t, SECRET, await addBroadcaster(t, '501', 'limited'), '9')
      const statuses = []
      for (let i = 0; i < 5; i++) statuses.push((await beat(t, id, `session-limit-${i}`)).status)
      expect(statuses).toEqual([204, 204, 204, 429, 429])
    } finally {
      await t.close()
    }
  }, 30_000)

  test('count an IPv6 client by its /64: another address in it shares the window, another /64 does not', async () => {
    const t = await createTestPlatform([users, streams], { STREAMS_INGEST_SECRET: SECRET, STREAMS_HEARTBEATS_PER_MINUTE: '2', TRUST_PROXY: 'true' })
    try {
      const id = await goLive(t, SECRET, await addBroadcaster(t, '502', 'limited_v6'), '10')
      const from = (address: string, session: string) =>
        t.request(`/api/streams/${id}/heartbeat`, { method: 'POST', json: { session_id: session }, headers: { 'x-forwarded-for': address } })
      const statuses = []
      for (const [i, address] of ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:ffff::3', '2001:db8:1:3::1'].entries()) {
        statuses.push((await from(address, `session-v6-${i}`)).status)
      }
      expect(statuses).toEqual([204, 204, 429, 204])
    } finally {
      await t.close()
    }
  }, 30_000)
})

describe('viewer minutes', () => {
  test('one event per stream and minute, user ids chunked, each minute announced once', async () => {
    const t = await createTestPlatform([users, streams], { STREAMS_INGEST_SECRET: SECRET })
    const database = createModuleDatabase({ module: 'streams', url: t.databaseUrls.streams!, poolMax: 2, queryDuration: createMetrics().queryDuration })
    try {
      const broadcaster = await addBroadcaster(t, '601', 'minutes')
      const streamId = await goLive(t, SECRET, broadcaster, '11')
      const viewers = createMemoryViewers()
      const audience = createAudience(database, viewers)
      const now = Date.now()
      const minute = minuteOf(now) - 60_000
      const watchers = Array.from({ length: VIEWER_MINUTES_CHUNK * 2 + 500 }, (_, i) => String(10_000 + i))
      // A limit none of these beats reaches: the minutes are under test here, not the limit.
      const limit = { limiter: createMemoryRateLimiter(), rule: { name: 'beats', limit: watchers.length + 1, windowSeconds: 60 }, key: '192.0.2.1' }
      const beat = async (sessionId: string, userId: string | undefined, at: number) =>
        expect((await viewers.limitedBeat(limit, streamId, sessionId, userId, at)).allowed).toBe(true)
      for (const [i, userId] of watchers.entries()) await beat(`session-${i}`, userId, minute + 1000)
      await beat('session-anonymous', undefined, minute + 2000)
      // The stream started this minute, in real time: the minute before is still counted from its start.
      await t.sql.streams!`update streams set started_at = ${new Date(minute)} where id = ${streamId}`

      expect(await audience.publishMinutes(now)).toBe(3)
      expect(await audience.publishMinutes(now)).toBe(0)
      const events = (await publishedEvents(t, streams, { type: 'streams.viewer_minutes.v1' })).map(
        (e) => e.payload as { user_ids: string[]; chunk: number; chunks: number; anonymous_viewers: number; minute: string; stream_id: string },
      )
      expect(events.map((e) => [e.chunk, e.chunks, e.user_ids.length, e.anonymous_viewers])).toEqual([
        [1, 3, 1000, 1],
        [2, 3, 1000, 0],
        [3, 3, 500, 0],
      ])
      expect(new Set(events.flatMap((e) => e.user_ids)).size).toBe(watchers.length)
      expect(events.every((e) => e.minute === new Date(minute).toISOString() && e.stream_id === streamId)).toBe(true)
    } finally {
      await database.close()
      await t.close()
    }
  })
})
