/** Every channel-points and tier route under random input: no 5xx, and a refused request writes nothing. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { harmOf } from '../../src/platform/testing/harm.ts'
import type { TestPlatform } from '../../src/platform/testing/harness.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { grantPoints, subscriptionsPlatform } from './channel-points.ts'

let t: TestPlatform
let owner = ''
let viewer = ''
let reward = ''
let redemption = ''

beforeAll(async () => {
  t = await subscriptionsPlatform()
  owner = await accessTokenFor(t, '500')
  viewer = await accessTokenFor(t, '501')
  await grantPoints(t.sql.subscriptions!, '500', '501', 1_000_000)
  const created = await t.request('/api/channel-points/custom-rewards?broadcaster_id=500', {
    method: 'POST',
    token: owner,
    json: { title: 'Fuzz', cost: 1, is_user_input_required: true },
  })
  reward = ((await created.json()) as { data: { id: string }[] }).data[0]!.id
  const redeemed = await t.request(`/api/channel-points/custom-rewards/redemptions?broadcaster_id=500&reward_id=${reward}`, {
    method: 'POST',
    token: viewer,
    json: { user_input: 'hi' },
  })
  redemption = ((await redeemed.json()) as { data: { id: string }[] }).data[0]!.id
}, 30_000)
afterAll(() => t.close())

const REWARDS = '/api/channel-points/custom-rewards'
const routes: { method: string; path: (id: string) => string }[] = [
  { method: 'POST', path: (id) => `${REWARDS}?broadcaster_id=${id}` },
  { method: 'POST', path: () => `${REWARDS}?broadcaster_id=500` },
  { method: 'PATCH', path: (id) => `${REWARDS}?broadcaster_id=500&id=${id}` },
  { method: 'PATCH', path: () => `${REWARDS}?broadcaster_id=500&id=REWARD` },
  { method: 'DELETE', path: (id) => `${REWARDS}?broadcaster_id=${id}&id=${id}` },
  { method: 'GET', path: (id) => `${REWARDS}?broadcaster_id=${id}&id=${id}` },
  { method: 'POST', path: (id) => `${REWARDS}/redemptions?broadcaster_id=500&reward_id=${id}` },
  { method: 'POST', path: () => `${REWARDS}/redemptions?broadcaster_id=500&reward_id=REWARD` },
  { method: 'PATCH', path: (id) => `${REWARDS}/redemptions?broadcaster_id=500&reward_id=REWARD&id=${id}` },
  { method: 'PATCH', path: () => `${REWARDS}/redemptions?broadcaster_id=500&reward_id=REWARD&id=REDEMPTION` },
  { method: 'GET', path: (id) => `${REWARDS}/redemptions?broadcaster_id=500&reward_id=REWARD&status=${id}&sort=${id}&first=${id}&after=${id}` },
  {
    method: 'GET',
    path: (id) => `${REWARDS}/redemptions?broadcaster_id=500&reward_id=REWARD&after=${Buffer.from(`["${id}","${id}"]`).toString('base64url')}`,
  },
  { method: 'GET', path: (id) => `/api/channel-points/balance?broadcaster_id=${id}` },
  { method: 'GET', path: (id) => `/api/subscriptions/tiers?broadcaster_id=${id}` },
  { method: 'PATCH', path: (id) => `/api/subscriptions/tiers?broadcaster_id=500&tier=${id}` },
  { method: 'PATCH', path: () => '/api/subscriptions/tiers?broadcaster_id=500&tier=1000' },
]

const jsonValue = fc.jsonValue({ maxDepth: 3 })
const number = fc.oneof(fc.integer({ min: -5, max: 2_000_000_000 }), fc.double(), fc.constant(1e309), jsonValue)
const nearMiss = fc.record(
  {
    title: fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('Fuzz', 'a\u0000b', ''), jsonValue),
    cost: number,
    prompt: fc.oneof(fc.string({ maxLength: 220 }), jsonValue),
    background_color: fc.oneof(fc.constantFrom('#9147FF', '#zzzzzz', 'red'), jsonValue),
    is_enabled: fc.oneof(fc.boolean(), jsonValue),
    is_paused: fc.oneof(fc.boolean(), jsonValue),
    is_max_per_stream_enabled: fc.oneof(fc.boolean(), jsonValue),
    max_per_stream: number,
    is_max_per_user_per_stream_enabled: fc.oneof(fc.boolean(), jsonValue),
    max_per_user_per_stream: number,
    is_global_cooldown_enabled: fc.oneof(fc.boolean(), jsonValue),
    global_cooldown_seconds: number,
    should_redemptions_skip_request_queue: fc.oneof(fc.boolean(), jsonValue),
    user_input: fc.oneof(fc.string({ maxLength: 220 }), fc.constant('\u202e'), jsonValue),
    name: fc.oneof(fc.string({ maxLength: 60 }), jsonValue),
    price: number,
    currency: fc.oneof(fc.constantFrom('USD', 'JPY', 'usd', 'XYZ', ''), jsonValue),
    status: fc.oneof(fc.constantFrom('FULFILLED', 'CANCELED', 'UNFULFILLED', 'fulfilled'), jsonValue),
  },
  { requiredKeys: [] },
)
const body = fc.oneof(
  nearMiss.map((value) => JSON.stringify(value)),
  jsonValue.map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 200 }),
  fc.constant(''),
)
const id = fc.oneof(
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.bigInt({ min: -10n, max: 10n ** 20n }).map(String),
  fc.uuid(),
  fc.constantFrom('500', '501', '0', '-1', '1e3', '%00', 'NaN', '9223372036854775808', 'REWARD', 'REDEMPTION', '1000', '3000'),
)

describe('channel-points and tier routes under random input', () => {
  test(
    'never answer 5xx, and a refused request writes nothing',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...routes),
          id,
          body,
          fc.constantFrom('application/json', 'text/plain', undefined),
          fc.constantFrom<'owner' | 'viewer' | 'garbage' | 'none'>('owner', 'viewer', 'garbage', 'none'),
          async (route, idValue, payload, contentType, who) => {
            const headers: Record<string, string> = {}
            if (contentType) headers['content-type'] = contentType
            const token = { owner, viewer, garbage: 'a.b.c', none: undefined }[who]
            if (token) headers.authorization = `Bearer ${token}`
            const path = route.path(idValue).replaceAll('REWARD', reward).replaceAll('REDEMPTION', redemption)
            const body = route.method === 'GET' ? undefined : payload
            expect(await harmOf(t, t.sql.subscriptions!, path, { method: route.method, headers, body })).toBeUndefined()
          },
        ),
        { numRuns: 500 },
      )
    },
    120_000,
  )
})
