/** Every streams route and media-server callback under random input: no 5xx, and a refusal writes nothing. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { streams } from '../../src/modules/streams/index.ts'
import { users } from '../../src/modules/users/index.ts'
import { deliver } from '../../src/platform/testing/events.ts'
import { harmOf } from '../../src/platform/testing/harm.ts'
import { createTestPlatform, type TestPlatform } from '../../src/platform/testing/harness.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { addBroadcaster, streamKeyOf, type Broadcaster } from './broadcasters.ts'

const SECRET = 'fuzz-ingest-secret-0123456789abcdefghij'
let t: TestPlatform
let owner: Broadcaster
let admin: string
let key: string
/** A suspended broadcaster's key: its publish callbacks take the refusing branch. */
let bannedKey: string
beforeAll(async () => {
  t = await createTestPlatform([users, streams], { STREAMS_INGEST_SECRET: SECRET })
  owner = await addBroadcaster(t, '301', 'fuzz_owner')
  await addBroadcaster(t, '302', 'fuzz_other')
  admin = await accessTokenFor(t, '1', ['admin'])
  key = await streamKeyOf(t, owner)
  const banned = await addBroadcaster(t, '303', 'fuzz_banned')
  bannedKey = await streamKeyOf(t, banned)
  const suspension = { user_id: banned.id, reason: 'Fuzzing', ends_at: null, by_user_id: '1', version: 2 }
  if ((await deliver(t, streams, 'users.suspended.v1', suspension)).outcome.status !== 'handled') throw new Error('suspending fuzz_banned')
  await t.request('/api/games', { method: 'POST', token: admin, json: { name: 'Fuzzing' } })
}, 30_000)
afterAll(() => t.close(), 30_000)

const routes: { method: string; path: (id: string) => string }[] = [
  { method: 'GET', path: (id) => `/api/channels?broadcaster_id=${id}` },
  { method: 'PATCH', path: (id) => `/api/channels?broadcaster_id=${id}` },
  { method: 'GET', path: (id) => `/api/streams/key?broadcaster_id=${id}` },
  { method: 'POST', path: (id) => `/api/streams/key/reset?broadcaster_id=${id}&x=${id}` },
  { method: 'GET', path: (id) => `/api/streams?first=${id}&after=${id}&game_id=${id}&user_login=${id}&language=${id}&type=${id}` },
  { method: 'GET', path: (id) => `/api/streams?after=${Buffer.from(`[${id},${id}]`).toString('base64url')}` },
  { method: 'GET', path: (id) => `/api/games?id=${id}&name=${id}&igdb_id=${id}` },
  { method: 'GET', path: (id) => `/api/games/top?first=${id}&after=${id}` },
  { method: 'GET', path: (id) => `/api/search/categories?query=${id}&after=${Buffer.from(`["${id}","${id}"]`).toString('base64url')}` },
  { method: 'POST', path: () => '/api/games' },
  { method: 'PATCH', path: (id) => `/api/games/${id}` },
  { method: 'DELETE', path: (id) => `/api/games/${id}` },
  { method: 'POST', path: (id) => `/api/streams/${id}/heartbeat` },
  { method: 'GET', path: (id) => `/api/streams/thumbnails/${id}/${id}` },
  { method: 'GET', path: (id) => `/api/streams/thumbnails/fuzz_owner/${id}x${id}.jpg` },
  { method: 'GET', path: (id) => `/api/videos?id=${id}&user_id=${id}&after=${id}` },
  { method: 'GET', path: (id) => `/api/videos?user_id=${id}&first=${id}` },
  { method: 'DELETE', path: (id) => `/api/videos?id=${id}` },
  { method: 'GET', path: (id) => `/api/videos/${id}/file` },
  { method: 'GET', path: (id) => `/api/videos/${id}/thumbnails/${id}x${id}.jpg` },
  { method: 'GET', path: (id) => `/api/videos/1/thumbnails/${id}` },
  { method: 'POST', path: (id) => `/api/clips?broadcaster_id=${id}&duration=${id}` },
  { method: 'POST', path: (id) => `/api/clips?broadcaster_id=301&vod_id=${id}&vod_offset=${id}` },
  { method: 'GET', path: (id) => `/api/clips?id=${id}&broadcaster_id=${id}&after=${id}` },
  { method: 'GET', path: (id) => `/api/clips/${id}/file` },
  { method: 'GET', path: (id) => `/api/clips/${id}/preview-480x272.jpg` },
  { method: 'POST', path: (id) => `/api/raids?from_broadcaster_id=${id}&to_broadcaster_id=302` },
  { method: 'POST', path: (id) => `/api/raids?from_broadcaster_id=301&to_broadcaster_id=${id}` },
  { method: 'DELETE', path: (id) => `/api/raids?broadcaster_id=${id}` },
  { method: 'POST', path: () => `/api/ingest/rtmp/${SECRET}/record_done` },
  { method: 'POST', path: () => `/api/ingest/mediamtx/${SECRET}/auth` },
  { method: 'POST', path: () => `/api/ingest/mediamtx/${SECRET}/ready` },
  { method: 'POST', path: () => `/api/ingest/mediamtx/${SECRET}/not_ready` },
  { method: 'POST', path: (id) => `/api/ingest/mediamtx/${id}/auth` },
  { method: 'POST', path: (id) => `/api/ingest/rtmp/${id}/publish` },
  { method: 'POST', path: () => `/api/ingest/rtmp/${SECRET}/publish` },
  { method: 'POST', path: () => `/api/ingest/rtmp/${SECRET}/update` },
  { method: 'POST', path: () => `/api/ingest/rtmp/${SECRET}/publish_done` },
]

const jsonValue = fc.jsonValue({ maxDepth: 3 })
const nearMiss = fc.record(
  {
    title: fc.oneof(fc.string({ maxLength: 200 }), jsonValue),
    game_id: fc.oneof(fc.constantFrom('', '1', '0', '99999999999999999999'), jsonValue),
    broadcaster_language: fc.oneof(fc.constantFrom('en', 'other', 'EN', ''), jsonValue),
    tags: fc.oneof(fc.array(fc.string({ maxLength: 30 }), { maxLength: 12 }), jsonValue),
    delay: fc.oneof(fc.integer({ min: -5, max: 2000 }), jsonValue),
    content_classification_labels: fc.oneof(fc.array(fc.record({ id: fc.constantFrom('Gambling', 'X'), is_enabled: fc.boolean() })), jsonValue),
    name: fc.oneof(fc.string({ maxLength: 120 }), jsonValue),
    box_art_url: fc.oneof(fc.webUrl(), fc.string()),
    igdb_id: fc.oneof(fc.string({ maxLength: 25 }), jsonValue),
    session_id: fc.oneof(fc.uuid(), fc.string({ maxLength: 70 }), jsonValue),
    action: fc.oneof(fc.constantFrom('publish', 'read', 'playback', 'api'), jsonValue),
    path: fc.oneof(fc.constantFrom('fuzz_owner', 'fuzz_other', 'fuzz_banned', ''), jsonValue),
    query: fc.oneof(fc.constantFrom('key=KEY', 'key=BANNED'), fc.string({ maxLength: 60 }), jsonValue),
  },
  { requiredKeys: [] },
)
// Media-server callbacks: form bodies with the real fields, a real or broken key and client id.
const form = fc
  .record(
    {
      call: fc.constantFrom('publish', 'update_publish', 'publish_done', 'play', ''),
      name: fc.oneof(fc.constantFrom('KEY', 'BANNED'), fc.string({ maxLength: 80 }), fc.constant(`live_301_${'A'.repeat(43)}`), fc.constant('live_99999999999999999999_' + 'A'.repeat(43))),
      clientid: fc.oneof(fc.nat().map(String), fc.string({ maxLength: 25 })),
      app: fc.constantFrom('ingest', 'hls', ''),
      path: fc.oneof(fc.constant('/rec/fuzz_owner-1.flv'), fc.constantFrom('fuzz_owner', 'fuzz_banned'), fc.string({ maxLength: 60 })),
      query: fc.oneof(fc.constantFrom('key=KEY', 'key=BANNED'), fc.string({ maxLength: 60 })),
      id: fc.oneof(fc.uuid(), fc.string({ maxLength: 70 })),
    },
    { requiredKeys: [] },
  )
  .map((fields) => new URLSearchParams(fields).toString())
const body = fc.oneof(
  nearMiss.map((value) => JSON.stringify(value)),
  jsonValue.map((value) => JSON.stringify(value)),
  form,
  fc.string({ maxLength: 200 }),
  fc.constant(''),
)
const id = fc.oneof(
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.bigInt({ min: -10n, max: 10n ** 20n }).map(String),
  fc.constantFrom('301', '302', '0', '1', '-1', '1e3', '%00', 'NaN', '9223372036854775808'),
)

describe('streams routes and callbacks under random input', () => {
  test(
    'never answer 5xx, and a refused request writes nothing',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...routes),
          id,
          body,
          fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', undefined),
          fc.constantFrom<'owner' | 'admin' | 'garbage' | 'none'>('owner', 'admin', 'garbage', 'none'),
          // Players' Range headers, and broken ones.
          fc.option(fc.oneof(fc.constantFrom('bytes=0-', 'bytes=-5', 'bytes=5-1', 'bytes=0-1,4-9', 'bytes=99999999999999999999-'), fc.string({ maxLength: 40 }))),
          async (route, idValue, payload, contentType, who, range) => {
            const headers: Record<string, string> = {}
            if (contentType) headers['content-type'] = contentType
            if (range !== null) headers.range = range
            const token = { owner: owner.token, admin, garbage: 'a.b.c', none: undefined }[who]
            if (token) headers.authorization = `Bearer ${token}`
            const body = route.method === 'GET' ? undefined : payload.replace('KEY', encodeURIComponent(key)).replace('BANNED', encodeURIComponent(bannedKey))
            expect(await harmOf(t, t.sql.streams!, route.path(idValue), { method: route.method, headers, body })).toBeUndefined()
          },
        ),
        { numRuns: 500 },
      )
    },
    120_000,
  )
})
