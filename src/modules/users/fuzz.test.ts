import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { createTestPlatform, type TestPlatform } from '../../platform/testing/harness.ts'
import { accessTokenFor } from '../../platform/testing/tokens.ts'
import { users } from './index.ts'
import { registerAccount, type SignedIn } from './test-accounts.ts'

let t: TestPlatform
let me: SignedIn
let other: SignedIn
/** An admin's token (fuzz_me's), so the admin-only routes reach their validation and the service. */
let admin: string
// Real cursors of every list route (each list two rows long, read a row a page), to mutate.
const lists: { path: string; cursor: string }[] = []
beforeAll(async () => {
  t = await createTestPlatform([users], { AUTH_ATTEMPTS_PER_MINUTE: '100000' })
  me = await registerAccount(t, 'fuzz_me')
  other = await registerAccount(t, 'fuzz_other')
  const fan = await registerAccount(t, 'fuzz_fan')
  // Both admins, so a suspension by `admin` (fuzz_me) is refused for them (oneself, an admin) and their tokens stay alive.
  await t.sql.users!`insert into user_roles (user_id, role) values (${me.id}, 'admin'), (${other.id}, 'admin')`
  admin = await accessTokenFor(t, me.id, ['admin'], { login: me.login })
  for (const [who, whom] of [[me, other], [fan, other], [me, fan]] as const) {
    await t.request(`/api/users/${whom.id}/follow`, { method: 'PUT', token: who.accessToken })
  }
  const doc = (await (await t.request('/openapi.json')).json()) as {
    paths: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>>
  }
  const listPaths = Object.entries(doc.paths).filter(([, operations]) =>
    operations.get?.parameters?.some((p) => p.in === 'query' && p.name === 'after'),
  )
  for (const [template] of listPaths) {
    // Every list so far is a user's; both fixtures' lists hold two rows in one direction or the other.
    for (const user of [me, other]) {
      const path = template.replace('{id}', user.id)
      const res = await t.request(`${path}?first=1`)
      const cursor = ((await res.json()) as { pagination: { cursor?: string } }).pagination.cursor
      if (cursor) lists.push({ path, cursor })
    }
  }
  if (listPaths.length < 2 || lists.length < listPaths.length) throw new Error(`fuzz fixtures: no cursor for some list of ${listPaths.map(([p]) => p)}`)
}, 30_000)
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

// What an accepted request must never have stored: the hidden characters, as a Postgres regex
// (tab and line feed are text in a description).
const STORED_HIDDEN = '[\\x01-\\x08\\x0B-\\x1F\\x7F-\\x9F\\u2028\\u2029\\u061C\\u200B-\\u200F\\u202A-\\u202E\\u2060\\u2066-\\u2069\\uFEFF]'

/** Rows whose user-visible text holds a hidden character. */
async function hiddenInRows(): Promise<number> {
  const [row] = await t.sql.users!<{ n: number }[]>`
    select count(*)::int as n from users
    where concat_ws('|', login, display_name, email, profile_image_url, offline_image_url, suspension_reason) ~ ${STORED_HIDDEN}
       or replace(replace(description, e'\t', ''), e'\n', '') ~ ${STORED_HIDDEN}`
  return row!.n
}

// Every users route, with its path template filled by the fuzzer's id.
// A route that takes a body names a valid one, whose fields the fuzzer makes hostile one at a time.
const routes: { method: string; path: (id: string, role: string) => string; valid?: Record<string, string | boolean> }[] = [
  {
    method: 'POST',
    path: () => '/api/auth/register',
    valid: { login: 'fuzz_new', email: 'fuzz_new@example.test', password: 'plum orchard twilight', display_name: 'Fuzz_New' },
  },
  { method: 'POST', path: () => '/api/auth/login', valid: { login: 'fuzz_me', password: 'correct horse battery' } },
  { method: 'POST', path: () => '/api/auth/refresh' },
  { method: 'POST', path: () => '/api/auth/logout' },
  { method: 'GET', path: () => '/api/auth/sessions' },
  { method: 'DELETE', path: (id) => `/api/auth/sessions/${id}` },
  { method: 'GET', path: () => '/api/users/me' },
  {
    method: 'PATCH',
    path: () => '/api/users/me',
    valid: { display_name: 'Fuzz_Me', description: 'I stream', profile_image_url: 'https://cdn.example/a.png', offline_image_url: '' },
  },
  { method: 'GET', path: () => '/api/users/me/settings' },
  { method: 'PATCH', path: () => '/api/users/me/settings', valid: { chat_color: '#9146FF', language: 'pt-BR', mature_content: true } },
  { method: 'GET', path: (id) => `/api/users/${id}` },
  { method: 'GET', path: (id) => `/api/users?login=${id}&id=${id}` },
  { method: 'PUT', path: (id) => `/api/users/${id}/follow` },
  { method: 'DELETE', path: (id) => `/api/users/${id}/follow` },
  { method: 'GET', path: (id) => `/api/users/${id}/followers?first=${id}&after=${id}` },
  { method: 'GET', path: (id) => `/api/users/${id}/following?after=${id}` },
  { method: 'PUT', path: (id, role) => `/api/users/${id}/roles/${role}` },
  { method: 'DELETE', path: (id, role) => `/api/users/${id}/roles/${role}` },
  { method: 'PUT', path: (id) => `/api/users/${id}/suspension`, valid: { reason: 'Spamming chat', ends_at: '2999-01-01T00:00:00Z' } },
  { method: 'DELETE', path: (id) => `/api/users/${id}/suspension` },
]

const jsonValue = fc.jsonValue({ maxDepth: 3 })
// Characters that must never reach a row: C0 and C1 controls, DEL, bidi controls, zero-width
// characters, a lone surrogate.
const HIDDEN = ['\u0000', '\u0001', '\u0007', '\r', '\n', '\u001B', '\u007F', '\u0085', '\u009B', '\u2028', '\u202A', '\u202E', '\u2066', '\u2069', '\u200E', '\u200F', '\u061C', '\u200B', '\u200D', '\u2060', '\uFEFF', '\uD800']
// Near-valid text with hidden characters mixed in: `fuzz_me` with a NUL, a URL with an override.
const hiddenText = (valid: string) =>
  fc
    .tuple(fc.nat({ max: valid.length }), fc.array(fc.constantFrom(...HIDDEN), { minLength: 1, maxLength: 3 }))
    .map(([at, chars]) => valid.slice(0, at) + chars.join('') + valid.slice(at))
const text = (valid: string, maxLength: number) => fc.oneof(fc.string({ maxLength }), hiddenText(valid), jsonValue)
// Numbers JSON can write and JavaScript cannot hold: Infinity once parsed, past 2^53, floats.
const HUGE = ['1e309', '-1e309', '9'.repeat(400), '9007199254740993', '9223372036854775808', '1.5', '-0', '1e-400']
// Bodies that look almost right: the real field names with wrong types, lengths and extras.
const nearMiss = fc.record(
  {
    login: text('fuzz_login', 40),
    email: fc.oneof(fc.emailAddress(), text('fuzz@example.test', 60)),
    password: fc.oneof(fc.string({ maxLength: 200 }), jsonValue),
    refresh_token: fc.oneof(fc.string({ maxLength: 300 }), jsonValue),
    display_name: text('Fuzz_Me', 40),
    description: text('I stream speedruns', 400),
    profile_image_url: fc.oneof(fc.webUrl(), text('https://cdn.example/a.png', 80)),
    chat_color: fc.oneof(fc.constantFrom('#ff00ff', 'red', '#GGGGGG', null), jsonValue),
    language: fc.oneof(fc.constantFrom('en', 'pt-BR', 'xx-yy', ''), hiddenText('en'), jsonValue),
    notifications: fc.oneof(fc.record({ live: fc.boolean(), sms: fc.boolean() }, { requiredKeys: [] }), jsonValue),
    reason: text('Spamming chat', 600),
    ends_at: fc.oneof(fc.constantFrom('2999-01-01T00:00:00Z', '2000-01-01T00:00:00Z', '2999-02-30T00:00:00Z', '99999-01-01T00:00:00Z', null), jsonValue),
    mature_content: fc.oneof(fc.boolean(), jsonValue),
    unknown_field: jsonValue,
  },
  { requiredKeys: [] },
)
// Raw JSON, since JSON.stringify cannot write 1e309: a huge number in each field.
const hugeNumbers = fc
  .tuple(fc.constantFrom('login', 'display_name', 'description', 'chat_color', 'mature_content', 'first', 'reason', 'ends_at'), fc.constantFrom(...HUGE))
  .map(([field, number]) => `{"${field}":${number}}`)
// The route's valid body with one field made hostile: the request reaches the service (and the
// database) unless validation stops it.
const oneHostileField = (valid: Record<string, string | boolean>) =>
  fc.constantFrom(...Object.keys(valid)).chain((field) =>
    fc
      .oneof(hiddenText(String(valid[field])).map((v) => JSON.stringify(v)), fc.constantFrom(...HUGE))
      .map((raw) => JSON.stringify({ ...valid, [field]: 0 }).replace(`"${field}":0`, `"${field}":${raw}`)),
  )
const body = fc.oneof(
  nearMiss.map((value) => JSON.stringify(value)),
  hugeNumbers,
  jsonValue.map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 200 }), // mostly malformed JSON
  fc.constant(''),
)
const id = fc.oneof(
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.bigInt({ min: -10n, max: 10n ** 20n }).map(String),
  fc.uuid(),
  fc.constantFrom('me', '0', '1', '-1', '1e3', '%00', '%E2%80%AE', '..', 'NaN', ...HUGE.map(encodeURIComponent)),
  // A URL cannot carry a lone surrogate.
  hiddenText('1').filter((v) => v.isWellFormed()).map(encodeURIComponent),
)

/** A cursor's key as raw JSON text, so a part may be a number JSON.stringify cannot write. */
const rawKey = (parts: { raw: string }[]) => Buffer.from(`[${parts.map((p) => p.raw).join(',')}]`).toString('base64url')
const keyOf = (cursor: string) => JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as (string | number)[]
// A part of a sort key as a forger would write it: near-valid timestamps and ids, huge numbers,
// hidden characters, long strings, other JSON.
const forgedPart = (original: string | number) =>
  fc.oneof(
    fc.constantFrom(...HUGE),
    hiddenText(String(original)).map((v) => JSON.stringify(v)),
    fc
      .tuple(fc.nat({ max: String(original).length - 1 }), fc.constantFrom(...'0123456789-:.+ eE'))
      .map(([at, char]) => JSON.stringify(String(original).slice(0, at) + char + String(original).slice(at + 1))),
    fc.constantFrom('9223372036854775808', '0', '-1', '1e309', '2026-02-30 00:00:00+00', '9999-12-31 23:59:59.999999-14', 'x'.repeat(300)).map((v) => JSON.stringify(v)),
    jsonValue.map((v) => JSON.stringify(v)),
  )
const mutatedCursor = (cursor: string) => {
  const key = keyOf(cursor)
  const parts = key.map((part) => ({ raw: JSON.stringify(part) }))
  return fc.oneof(
    // The text itself: a character replaced or inserted, cut short, padded past any length.
    fc.tuple(fc.nat({ max: cursor.length }), fc.string({ maxLength: 4 })).map(([at, s]) => cursor.slice(0, at) + s + cursor.slice(at + 1)),
    fc.nat({ max: cursor.length }).map((at) => cursor.slice(0, at)),
    fc.constantFrom(cursor.repeat(20), 'x'.repeat(300), '1e309', ''),
    // One part of the key forged, a part dropped, a part added.
    fc.nat({ max: key.length - 1 }).chain((at) => forgedPart(key[at]!).map((raw) => rawKey(parts.map((p, i) => (i === at ? { raw } : p))))),
    fc.nat({ max: key.length - 1 }).map((at) => rawKey(parts.filter((_, i) => i !== at))),
    forgedPart(key[0]!).map((raw) => rawKey([...parts, { raw }])),
  )
}
const first = fc.oneof(fc.integer({ min: 1, max: 100 }).map(String), fc.constantFrom(...HUGE, '', '0', '-1', '101', '0x10', '1e2', 'NaN'))

describe('users routes under random input', () => {
  test(
    'list cursors, mutated or forged part by part, are never a 5xx',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...lists).chain((list) => fc.tuple(fc.constant(list.path), mutatedCursor(list.cursor), first)),
          async ([path, cursor, size]) => {
            const before = await databaseDigest()
            const res = await t.request(`${path}?first=${encodeURIComponent(size)}&after=${encodeURIComponent(cursor)}`)
            expect(res.status).toBeLessThan(500)
            if (res.status >= 400) expect(res.headers.get('content-type')).toBe('application/problem+json')
            expect(await databaseDigest()).toBe(before)
          },
        ),
        { numRuns: 400 },
      )
    },
    60_000,
  )

  test(
    'never answer 5xx, a refused request writes nothing, and an accepted one stores no hidden character',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...routes).chain((route) =>
            fc.tuple(fc.constant(route), route.valid ? fc.oneof({ arbitrary: oneHostileField(route.valid), weight: 3 }, body) : body),
          ),
          id,
          fc.constantFrom('admin', 'staff', 'partner', 'god', ''),
          // Mostly what a route takes (JSON, a token), so hostile fields reach past the guard.
          fc.constantFrom('application/json', 'application/json', 'text/plain', 'application/json; charset=utf-8', undefined),
          fc.constantFrom<'me' | 'other' | 'admin' | 'garbage' | 'none'>('me', 'me', 'me', 'other', 'admin', 'garbage', 'none'),
          async ([route, payload], idValue, role, contentType, who) => {
            const before = await databaseDigest()
            const headers: Record<string, string> = {}
            if (contentType) headers['content-type'] = contentType
            const token = { me: me.accessToken, other: other.accessToken, admin, garbage: 'a.b.c', none: undefined }[who]
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
            } else if (route.valid) {
              expect(await hiddenInRows()).toBe(0)
            }
          },
        ),
        { numRuns: 600 },
      )
    },
    120_000,
  )
})
