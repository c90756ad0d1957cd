/** The emotes, history, replay and announcement routes under random input: no 5xx, and a refusal writes nothing. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { harmOf } from '../../src/platform/testing/harm.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { startChat, type ChatFixture } from './core-fixture.ts'

let f: ChatFixture
let caster: string
let tokens: Record<'caster' | 'admin' | 'garbage' | 'none', string | undefined>
beforeAll(async () => {
  f = await startChat({ CHAT_EMOTE_MAX_BYTES: '2048' })
  caster = await f.user('fuzzcaster')
  const admin = await f.user('fuzzadmin')
  tokens = {
    caster: await accessTokenFor(f.t, caster, [], { login: 'fuzzcaster' }),
    admin: await accessTokenFor(f.t, admin, ['admin'], { login: 'fuzzadmin' }),
    garbage: 'a.b.c',
    none: undefined,
  }
}, 60_000)
afterAll(() => f.close(), 30_000)

const cursor = (parts: string) => Buffer.from(parts).toString('base64url')
const routes: { method: string; path: (id: string) => string }[] = [
  { method: 'GET', path: () => '/api/chat/emotes/global' },
  { method: 'GET', path: (id) => `/api/chat/emotes?broadcaster_id=${id}` },
  { method: 'POST', path: (id) => `/api/chat/emotes?broadcaster_id=${caster}&name=${id}&tier=${id}` },
  { method: 'POST', path: (id) => `/api/chat/emotes?broadcaster_id=${id}&name=fuzzEmote` },
  { method: 'POST', path: (id) => `/api/chat/emotes/global?name=${id}` },
  { method: 'GET', path: (id) => `/api/chat/emotes/${id}/static/dark/1.0` },
  { method: 'GET', path: (id) => `/api/chat/emotes/0e5a0000-0000-4000-8000-000000000001/${id}/${id}/${id}` },
  { method: 'GET', path: (id) => `/api/chat/messages?broadcaster_id=${id}&first=${id}&before=${id}` },
  { method: 'GET', path: (id) => `/api/chat/messages?broadcaster_id=${caster}&before=${cursor(`["${id}","${id}"]`)}` },
  { method: 'GET', path: (id) => `/api/chat/replay?stream_id=${id}&first=${id}&after=${id}` },
  { method: 'GET', path: (id) => `/api/chat/replay?stream_id=1&after=${cursor(`["2026-12-02 07:00:00+00","${id}"]`)}` },
  { method: 'POST', path: (id) => `/api/chat/announcements?broadcaster_id=${id}&moderator_id=${caster}` },
  { method: 'POST', path: (id) => `/api/chat/announcements?broadcaster_id=${caster}&moderator_id=${id}` },
]

const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex')
const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  // A PNG or GIF start with random dimensions and tails: the checks past the magic bytes.
  fc.tuple(fc.uint8Array({ minLength: 8, maxLength: 40 })).map(([tail]) => Buffer.concat([png, tail])),
  fc.tuple(fc.constantFrom('GIF87a', 'GIF89a', 'GIF8'), fc.uint8Array({ maxLength: 40 })).map(([magic, tail]) => Buffer.concat([Buffer.from(magic), tail])),
  fc.integer({ min: 2000, max: 3000 }).map((n) => Buffer.alloc(n, 0x89)),
)
const json = fc.oneof(
  fc.record({ message: fc.oneof(fc.string({ maxLength: 600 }), fc.jsonValue()), color: fc.oneof(fc.constantFrom('blue', 'BLUE', 'pink', ''), fc.jsonValue()) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 100 }),
)
const id = fc.oneof(
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.bigInt({ min: -10n, max: 10n ** 20n }).map(String),
  fc.constantFrom('0', '1', '-1', '1e3', '%00', 'NaN', '9223372036854775808', '1000', '3000', 'OndesWave', 'ab', 'x'.repeat(26), '0e5a0000-0000-4000-8000-000000000001', 'static', 'dark', '3.0'),
)

describe('chat events routes under random input', () => {
  test(
    'never answer 5xx, and a refused request writes nothing',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...routes),
          id,
          fc.oneof(bytes, json),
          fc.constantFrom('image/png', 'image/gif', 'application/json', 'text/plain', undefined),
          fc.constantFrom<keyof typeof tokens>('caster', 'admin', 'garbage', 'none'),
          async (route, idValue, body, contentType, who) => {
            const headers: Record<string, string> = {}
            if (contentType) headers['content-type'] = contentType
            const token = tokens[who]
            if (token) headers.authorization = `Bearer ${token}`
            const init = { method: route.method, headers, body: route.method === 'GET' ? undefined : body }
            expect(await harmOf(f.t, f.t.sql.chat!, route.path(idValue), init)).toBeUndefined()
          },
        ),
        { numRuns: 400 },
      )
    },
    120_000,
  )
})
