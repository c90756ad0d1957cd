/** The subscription and gift routes under random input: no 5xx, and a refused request writes nothing. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { movableClock } from '../../src/platform/testing/clock.ts'
import { harmOf } from '../../src/platform/testing/harm.ts'
import { hostileBody, hostileId } from '../../src/platform/testing/hostile-input.ts'
import type { TestPlatform } from '../../src/platform/testing/harness.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { follow, register, subscribe, subscribersPlatform } from './subscribers.ts'

let t: TestPlatform
let owner = ''
let viewer = ''

beforeAll(async () => {
  t = await subscribersPlatform(movableClock())
  for (const id of ['600', '601', '602', '603']) await register(t, id)
  for (const id of ['602', '603']) await follow(t, id, '600')
  owner = await accessTokenFor(t, '600')
  viewer = await accessTokenFor(t, '601')
  expect((await subscribe(t, viewer, { broadcaster_id: '600', tier: '1000' })).status).toBe(201)
}, 30_000)
afterAll(() => t.close())

const SUBSCRIPTIONS = '/api/subscriptions'
const routes: { method: string; path: (id: string) => string }[] = [
  { method: 'POST', path: () => SUBSCRIPTIONS },
  { method: 'PATCH', path: (id) => `${SUBSCRIPTIONS}?broadcaster_id=${id}` },
  { method: 'PATCH', path: () => `${SUBSCRIPTIONS}?broadcaster_id=600` },
  { method: 'DELETE', path: (id) => `${SUBSCRIPTIONS}?broadcaster_id=${id}` },
  { method: 'GET', path: (id) => `${SUBSCRIPTIONS}?broadcaster_id=${id}&first=${id}&after=${id}` },
  { method: 'GET', path: (id) => `${SUBSCRIPTIONS}?broadcaster_id=600&after=${Buffer.from(`["${id}"]`).toString('base64url')}` },
  { method: 'GET', path: (id) => `${SUBSCRIPTIONS}/user?broadcaster_id=${id}&user_id=${id}` },
  { method: 'GET', path: (id) => `${SUBSCRIPTIONS}/user?broadcaster_id=600&user_id=${id}` },
  { method: 'GET', path: (id) => `${SUBSCRIPTIONS}/me?first=${id}&after=${id}` },
  { method: 'POST', path: () => `${SUBSCRIPTIONS}/gifts` },
]

const jsonValue = fc.jsonValue({ maxDepth: 3 })
const idValue = fc.oneof(
  fc.constantFrom('600', '601', '602', '603', '0', '-1', '1e3', '9223372036854775808', '00600', ' 600'),
  fc.bigInt({ min: -10n, max: 10n ** 20n }).map(String),
  fc.string({ maxLength: 20 }),
  jsonValue,
)
const nearMiss = fc.record(
  {
    broadcaster_id: idValue,
    user_id: idValue,
    tier: fc.oneof(fc.constantFrom('1000', '2000', '3000', '4000', 1000, '', 'Tier 1'), jsonValue),
    message: fc.oneof(fc.string({ maxLength: 520 }), fc.constantFrom('a\u0000b', '\u202e', 'x'.repeat(501)), jsonValue),
    count: fc.oneof(fc.integer({ min: -3, max: 120 }), fc.double(), fc.constant(1e309), jsonValue),
    is_anonymous: fc.oneof(fc.boolean(), jsonValue),
    extra: jsonValue,
  },
  { requiredKeys: [] },
)
const body = hostileBody(nearMiss)
const id = hostileId('600', '601', '602')
const idempotencyKey = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom('fixed-key', 'other-key', '', ' ', 'k'.repeat(256)),
  fc.string({ maxLength: 40 }).filter((key) => /^[\x20-\x7e]*$/.test(key)),
)

describe('subscription and gift routes under random input', () => {
  test(
    'never answer 5xx, and a refused request writes nothing',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...routes),
          id,
          body,
          fc.constantFrom('application/json', 'text/plain', undefined),
          fc.constantFrom<'owner' | 'viewer' | 'garbage' | 'none'>('owner', 'viewer', 'viewer', 'garbage', 'none'),
          idempotencyKey,
          async (route, pathId, payload, contentType, who, key) => {
            const headers: Record<string, string> = {}
            if (contentType) headers['content-type'] = contentType
            const token = { owner, viewer, garbage: 'a.b.c', none: undefined }[who]
            if (token) headers.authorization = `Bearer ${token}`
            if (key !== undefined) headers['idempotency-key'] = key
            const requestBody = route.method === 'GET' || route.method === 'DELETE' ? undefined : payload
            expect(await harmOf(t, t.sql.subscriptions!, route.path(pathId), { method: route.method, headers, body: requestBody })).toBeUndefined()
          },
        ),
        { numRuns: 400 },
      )
    },
    180_000,
  )
})
