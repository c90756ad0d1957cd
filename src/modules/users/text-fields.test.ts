import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createTestPlatform, type TestPlatform } from '../../platform/testing/harness.ts'
import { accessTokenFor } from '../../platform/testing/tokens.ts'
import { users } from './index.ts'
import { registerAccount, type SignedIn } from './test-accounts.ts'

let t: TestPlatform
let me: SignedIn
/** me's token with the admin role, so the admin-only bodies reach their validation too. */
let asAdmin: string
beforeAll(async () => {
  t = await createTestPlatform([users], { AUTH_ATTEMPTS_PER_MINUTE: '100000' })
  me = await registerAccount(t, 'text_owner')
  asAdmin = await accessTokenFor(t, me.id, ['admin'], { login: me.login })
})
afterAll(() => t.close(), 30_000)

// Strings that are not text anyone reads: a password is hashed (any character is its own), a
// refresh token is compared by its hash, a suspension's end is a time in RFC 3339's format.
const NOT_TEXT = new Set(['password', 'refresh_token', 'ends_at'])

// A valid value per field, so the hidden character is the only thing wrong.
const VALID: Record<string, string> = {
  login: 'hidden_text',
  email: 'hidden@example.test',
  display_name: 'Text_Owner',
  description: 'a description',
  profile_image_url: 'https://cdn.example/a.png',
  offline_image_url: 'https://cdn.example/b.png',
  chat_color: '#9146FF',
  language: 'en',
  reason: 'Spamming chat',
}

const HIDDEN = {
  NUL: '\u0000',
  BEL: '\u0007',
  'carriage return': '\r',
  DEL: '\u007F',
  'C1 NEL': '\u0085',
  'right-to-left override': '\u202E',
  'first strong isolate': '\u2068',
  'right-to-left mark': '\u200F',
  'Arabic letter mark': '\u061C',
  'zero-width space': '\u200B',
  'zero-width joiner': '\u200D',
  'word joiner': '\u2060',
  'byte order mark': '\uFEFF',
  'lone surrogate': '\uD800',
}

type Schema = { $ref?: string; type?: string | string[]; anyOf?: Schema[]; properties?: Record<string, Schema> }
type Operation = { requestBody?: { content: Record<string, { schema: Schema }> } }

/** Every string field of every users request body, from the API's own document. */
async function bodyTextFields(): Promise<{ method: string; path: string; field: string }[]> {
  const doc = (await (await t.request('/openapi.json')).json()) as {
    paths: Record<string, Record<string, Operation>>
    components: { schemas: Record<string, Schema> }
  }
  const resolve = (schema: Schema) => (schema.$ref ? doc.components.schemas[schema.$ref.split('/').at(-1)!]! : schema)
  // A nullable string is `anyOf: [string, null]` or `type: [string, null]`.
  const isString = (schema: Schema): boolean =>
    [schema.type].flat().includes('string') || (schema.anyOf ?? []).some((option) => isString(resolve(option)))
  return Object.entries(doc.paths).flatMap(([path, operations]) =>
    Object.entries(operations).flatMap(([method, operation]) => {
      const schema = operation.requestBody?.content['application/json']?.schema
      const properties = schema ? (resolve(schema).properties ?? {}) : {}
      return Object.entries(properties)
        .filter(([field, property]) => isString(resolve(property)) && !NOT_TEXT.has(field))
        .map(([field]) => ({ method: method.toUpperCase(), path, field }))
    }),
  )
}

const insert = (value: string, char: string) => value.slice(0, 3) + char + value.slice(3)

async function expectRefused(res: Response, field: string) {
  expect(res.status).toBe(400)
  expect(res.headers.get('content-type')).toBe('application/problem+json')
  const body = (await res.json()) as { errors: { field: string; message: string }[] }
  expect(body.errors).toContainEqual({ field, message: expect.stringMatching(/^(contains a|is not well-formed)/) })
}

describe('hidden characters in users text fields', () => {
  test('every text field of every body refuses each with a 400 naming the field, and nothing is written', async () => {
    const fields = await bodyTextFields()
    // The document lists what the schemas declare: if this shrinks, a field lost its check.
    expect(fields.map((f) => `${f.path} ${f.field}`).sort()).toEqual([
      '/api/auth/login login',
      '/api/auth/register display_name',
      '/api/auth/register email',
      '/api/auth/register login',
      '/api/users/me description',
      '/api/users/me display_name',
      '/api/users/me offline_image_url',
      '/api/users/me profile_image_url',
      '/api/users/me/settings chat_color',
      '/api/users/me/settings language',
      '/api/users/{id}/suspension reason',
    ])
    const [before] = await t.sql.users!`select count(*)::int as n, max(updated_at) as at from users`
    for (const { method, path, field } of fields) {
      const body = path === '/api/auth/register' ? { login: VALID.login, email: VALID.email, password: 'plum orchard twilight' } : {}
      for (const char of Object.values(HIDDEN)) {
        const json = { ...body, [field]: insert(VALID[field] ?? 'some text', char) }
        await expectRefused(await t.request(path.replace('{id}', me.id), { method, json, token: asAdmin }), field)
      }
    }
    expect((await t.sql.users!`select count(*)::int as n, max(updated_at) as at from users`)[0]).toEqual(before!)
  })

  test('a login looked up is a 400 naming `login` when it hides one', async () => {
    // A URL cannot carry a lone surrogate (it arrives as U+FFFD).
    for (const char of Object.values(HIDDEN).filter((c) => c !== HIDDEN['lone surrogate'])) {
      const res = await t.request(`/api/users?login=${encodeURIComponent(insert('text_owner', char))}`)
      expect(res.status).toBe(400)
      expect(((await res.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).toContain('login')
    }
  })

  test('a description may hold line feeds and tabs; one-line fields may not', async () => {
    const ok = await t.request('/api/users/me', { method: 'PATCH', json: { description: 'line one\nline two\tend' }, token: me.accessToken })
    expect(ok.status).toBe(200)
    for (const char of ['\n', '\t']) {
      const json = { login: 'text_lines', email: `text${insert('lines', char)}@example.test`, password: 'plum orchard twilight' }
      await expectRefused(await t.request('/api/auth/register', { method: 'POST', json }), 'email')
      const res = await t.request('/api/users/me/settings', { method: 'PATCH', json: { language: `e${char}` }, token: me.accessToken })
      await expectRefused(res, 'language')
    }
  })
})

describe('display names', () => {
  const register = (login: string, display_name: string) =>
    t.request('/api/auth/register', {
      method: 'POST',
      json: { login, email: `${login}@example.test`, password: 'plum orchard twilight', display_name },
    })

  test('at registration, only the capitalisation of the login may differ', async () => {
    const ok = await register('name_case', 'NaMe_CaSe')
    expect(ok.status).toBe(201)
    const [row] = await t.sql.users!`select login, display_name from users where login = 'name_case'`
    expect(row).toEqual({ login: 'name_case', display_name: 'NaMe_CaSe' })
    // Another name, an extra character, a space, and the Kelvin sign (U+212A), which lowercases to k.
    for (const [login, display_name] of [
      ['name_other', 'Somebody_Else'],
      ['name_extra', 'Name_Extra_'],
      ['name_space', 'Name Space'],
      ['name_kelvin', 'Name_\u212Aelvin'],
    ] as const) {
      const res = await register(login, display_name)
      expect(res.status).toBe(400)
      const body = (await res.json()) as { errors: { field: string; message: string }[] }
      expect([...new Set(body.errors.map((e) => e.field))]).toEqual(['display_name'])
    }
    expect([...(await t.sql.users!`select login from users where login like 'name\\_%' order by 1`)]).toEqual([{ login: 'name_case' }])
  })

  test('a profile edit may change the capitalisation, never the name', async () => {
    const patch = (display_name: string) => t.request('/api/users/me', { method: 'PATCH', json: { display_name }, token: me.accessToken })
    expect((await patch('TEXT_OWNER')).status).toBe(200)
    const refused = await patch('Text_Owner2')
    expect(refused.status).toBe(400)
    expect(await refused.json()).toMatchObject({
      type: 'https://ondes.dev/problems/request.invalid',
      errors: [{ field: 'display_name', message: 'only the capitalisation of your login (text_owner) may differ' }],
    })
    expect((await patch('')).status).toBe(400)
    const [row] = await t.sql.users!`select display_name from users where id = ${me.id}`
    expect(row).toEqual({ display_name: 'TEXT_OWNER' })
  })
})
