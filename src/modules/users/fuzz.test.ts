import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { createTestPlatform, type TestPlatform } from '../../platform/testing/harness.ts'
import { users } from './index.ts'
import { registerAccount, type SignedIn } from './test-accounts.ts'

let t: TestPlatform
let me: SignedIn
let other: SignedIn
beforeAll(async () => {
  t = await createTestPlatform([users], { AUTH_ATTEMPTS_PER_MINUTE: '100000' })
  me = await registerAccount(t, 'fuzz_me')
  other = await registerAccount(t, 'fuzz_other')
})
afterAll(() => t.close())

/**
 * A digest of every row of every table: any write, insert, update or delete, changes it. The
 * outbox counts by rows alone: the relay marks earlier requests' events published meanwhile.
 */
async function databaseDigest(): Promise<string> {
  const tables = await t.sql.users!`select tablename from pg_tables where schemaname = 'public' order by 1`
  const parts = await Promise.all(
    tables.map(({ tablename }) => {
      const digest = tablename === 'outbox' ? 'count(*)::text' : `md5(coalesce(string_agg(x::text, '|' order by x::text), ''))`
      return t.sql.users!.unsafe(`select ${digest} as d from "${tablename}" x`) as Promise<{ d: string }[]>
    }),
  )
  return parts.map((rows) => rows[0]?.d).join(',')
}

// Every users route, with its path template filled by the fuzzer's id.
const routes: { method: string; path: (id: string, role: string) => string }[] = [
  { method: 'POST', path: () => '/api/auth/register' },
  { method: 'POST', path: () => '/api/auth/login' },
  { method: 'POST', path: () => '/api/auth/refresh' },
  { method: 'POST', path: () => '/api/auth/logout' },
  { method: 'GET', path: () => '/api/auth/sessions' },
  { method: 'DELETE', path: (id) => `/api/auth/sessions/${id}` },
  { method: 'GET', path: () => '/api/users/me' },
  { method: 'PATCH', path: () => '/api/users/me' },
  { method: 'GET', path: () => '/api/users/me/settings' },
  { method: 'PATCH', path: () => '/api/users/me/settings' },
  { method: 'GET', path: (id) => `/api/users/${id}` },
  { method: 'GET', path: (id) => `/api/users?login=${id}&id=${id}` },
  { method: 'PUT', path: (id) => `/api/users/${id}/follow` },
  { method: 'DELETE', path: (id) => `/api/users/${id}/follow` },
  { method: 'GET', path: (id) => `/api/users/${id}/followers?first=${id}&after=${id}` },
  { method: 'GET', path: (id) => `/api/users/${id}/following?after=${id}` },
  { method: 'PUT', path: (id, role) => `/api/users/${id}/roles/${role}` },
  { method: 'DELETE', path: (id, role) => `/api/users/${id}/roles/${role}` },
]

const jsonValue = fc.jsonValue({ maxDepth: 3 })
// Bodies that look almost right: the real field names with wrong types, lengths and extras.
const nearMiss = fc.record(
  {
    login: fc.oneof(fc.string({ maxLength: 40 }), jsonValue),
    email: fc.oneof(fc.emailAddress(), fc.string(), jsonValue),
    password: fc.oneof(fc.string({ maxLength: 200 }), jsonValue),
    refresh_token: fc.oneof(fc.string({ maxLength: 300 }), jsonValue),
    display_name: fc.oneof(fc.string({ maxLength: 40 }), jsonValue),
    description: fc.oneof(fc.string({ maxLength: 400 }), jsonValue),
    profile_image_url: fc.oneof(fc.webUrl(), fc.string(), jsonValue),
    chat_color: fc.oneof(fc.constantFrom('#ff00ff', 'red', '#GGGGGG', null), jsonValue),
    language: fc.oneof(fc.constantFrom('en', 'pt-BR', 'xx-yy', ''), jsonValue),
    notifications: fc.oneof(fc.record({ live: fc.boolean(), sms: fc.boolean() }, { requiredKeys: [] }), jsonValue),
    mature_content: fc.oneof(fc.boolean(), jsonValue),
    unknown_field: jsonValue,
  },
  { requiredKeys: [] },
)
const body = fc.oneof(
  nearMiss.map((value) => JSON.stringify(value)),
  jsonValue.map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 200 }), // mostly malformed JSON
  fc.constant(''),
)
const id = fc.oneof(
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.bigInt({ min: -10n, max: 10n ** 20n }).map(String),
  fc.uuid(),
  fc.constantFrom('me', '0', '1', '-1', '1e3', '%00', '..', 'NaN'),
)

describe('users routes under random input', () => {
  test(
    'never answer 5xx, and a refused request writes nothing',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...routes),
          id,
          fc.constantFrom('admin', 'staff', 'partner', 'god', ''),
          body,
          fc.constantFrom('application/json', 'text/plain', 'application/json; charset=utf-8', undefined),
          fc.constantFrom<'me' | 'other' | 'garbage' | 'none'>('me', 'other', 'garbage', 'none'),
          async (route, idValue, role, payload, contentType, who) => {
            const before = await databaseDigest()
            const headers: Record<string, string> = {}
            if (contentType) headers['content-type'] = contentType
            const token = { me: me.accessToken, other: other.accessToken, garbage: 'a.b.c', none: undefined }[who]
            if (token) headers.authorization = `Bearer ${token}`
            const withBody = route.method !== 'GET'
            const res = await t.request(route.path(idValue, role), {
              method: route.method,
              headers,
              body: withBody ? payload : undefined,
            })
            expect(res.status).toBeLessThan(500)
            if (res.status >= 400) {
              expect(res.headers.get('content-type')).toBe('application/problem+json')
              expect(await databaseDigest()).toBe(before)
            }
          },
        ),
        { numRuns: 600 },
      )
    },
    120_000,
  )
})
