import { afterAll, beforeAll, describe, expect, spyOn, test } from 'bun:test'
import { createTestPlatform, type TestPlatform } from '../../platform/testing/harness.ts'
import { users } from './index.ts'
import { registerAccount } from './test-accounts.ts'

let t: TestPlatform
beforeAll(async () => {
  t = await createTestPlatform([users], { AUTH_ATTEMPTS_PER_MINUTE: '1000' })
})
afterAll(() => t.close())

const post = (path: string, json: unknown, token?: string) => t.request(path, { method: 'POST', json, token })
const tokens = async (res: Response) => ((await res.json()) as { data: { access_token: string; refresh_token: string } }).data

describe('register', () => {
  test('creates the account, its settings, and signs in', async () => {
    const me = await registerAccount(t, 'Streamer_One')
    expect(me.login).toBe('streamer_one')
    const res = await t.request('/api/users/me', { token: me.accessToken })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { data: { display_name: string } }).data.display_name).toBe('Streamer_One')
    const [row] = await t.sql.users!`select password_hash from users where login = 'streamer_one'`
    expect(String(row!.password_hash)).toStartWith('$argon2id$')
    const [settings] = await t.sql.users!`select count(*)::int as n from user_settings where user_id = ${me.id}`
    expect(settings!.n).toBe(1)
  })

  test('a taken login is a 409, whatever its case', async () => {
    await registerAccount(t, 'taken_login')
    const res = await post('/api/auth/register', { login: 'TAKEN_LOGIN', email: 'x@example.test', password: 'long enough' })
    expect(res.status).toBe(409)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
  })

  test('passwords must be 8–128 characters, with no composition rules', async () => {
    const short = await post('/api/auth/register', { login: 'short_pw', email: 's@example.test', password: '1234567' })
    expect(short.status).toBe(400)
    const long = await post('/api/auth/register', { login: 'long_pw', email: 'l@example.test', password: 'x'.repeat(129) })
    expect(long.status).toBe(400)
    // Lowercase letters only, no digit, no symbol: fine, when not a common password.
    const plain = await post('/api/auth/register', { login: 'plain_pw', email: 'p@example.test', password: 'zebrakettle' })
    expect(plain.status).toBe(201)
    const [count] = await t.sql.users!`select count(*)::int as n from users where login in ('short_pw', 'long_pw')`
    expect(count!.n).toBe(0)
  })
})

describe('login', () => {
  test('a wrong login and a wrong password get the same answer', async () => {
    await registerAccount(t, 'real_user', 'the right password')
    const wrongPassword = await post('/api/auth/login', { login: 'real_user', password: 'the wrong password' })
    const wrongLogin = await post('/api/auth/login', { login: 'nobody_here', password: 'the right password' })
    expect(wrongPassword.status).toBe(401)
    expect(wrongLogin.status).toBe(401)
    expect(await wrongPassword.json()).toEqual(await wrongLogin.json())
    const right = await post('/api/auth/login', { login: 'REAL_USER', password: 'the right password' })
    expect(right.status).toBe(200)
  })
})

describe('refresh tokens', () => {
  test('rotate on every use; a rotated token revokes its whole family', async () => {
    const me = await registerAccount(t, 'rotating')
    const first = await post('/api/auth/refresh', { refresh_token: me.refreshToken })
    expect(first.status).toBe(200)
    const second = await tokens(first)
    expect(second.refresh_token).not.toBe(me.refreshToken)
    const third = await tokens(await post('/api/auth/refresh', { refresh_token: second.refresh_token }))

    // The first token again, its successor used since (so no retry): theft suspected, the family (session) dies.
    const replay = await post('/api/auth/refresh', { refresh_token: me.refreshToken })
    expect(replay.status).toBe(401)
    const afterReplay = await post('/api/auth/refresh', { refresh_token: third.refresh_token })
    expect(afterReplay.status).toBe(401)
  })

  test('an unknown token is a 401', async () => {
    const res = await post('/api/auth/refresh', { refresh_token: 'ort_not-a-real-token' })
    expect(res.status).toBe(401)
  })
})

describe('sessions', () => {
  test('are listed, revocable, and logout ends the current one', async () => {
    const me = await registerAccount(t, 'many_sessions', 'password one')
    const second = await tokens(await post('/api/auth/login', { login: 'many_sessions', password: 'password one' }))
    const listed = await t.request('/api/auth/sessions', { token: me.accessToken })
    const { data } = (await listed.json()) as { data: { id: string; current: boolean; expires_at: string }[] }
    expect(data).toHaveLength(2)
    expect(data.filter((s) => s.current)).toHaveLength(1)
    // A session opened at login lasts the idle lifetime (7 days by default) until refreshed.
    for (const session of data) {
      expect(Math.abs(Date.parse(session.expires_at) - (Date.now() + 7 * 86_400_000))).toBeLessThan(60_000)
    }

    const other = data.find((s) => !s.current)!
    expect((await t.request(`/api/auth/sessions/${other.id}`, { method: 'DELETE', token: me.accessToken })).status).toBe(204)
    expect((await post('/api/auth/refresh', { refresh_token: second.refresh_token })).status).toBe(401)
    expect((await t.request(`/api/auth/sessions/${other.id}`, { method: 'DELETE', token: me.accessToken })).status).toBe(404)

    expect((await post('/api/auth/logout', {}, me.accessToken)).status).toBe(204)
    expect((await post('/api/auth/refresh', { refresh_token: me.refreshToken })).status).toBe(401)
  })

  test("another user's session cannot be revoked", async () => {
    const alice = await registerAccount(t, 'alice_s')
    const bob = await registerAccount(t, 'bob_s')
    const { data } = (await (await t.request('/api/auth/sessions', { token: alice.accessToken })).json()) as {
      data: { id: string }[]
    }
    const res = await t.request(`/api/auth/sessions/${data[0]!.id}`, { method: 'DELETE', token: bob.accessToken })
    expect(res.status).toBe(404)
    expect((await post('/api/auth/refresh', { refresh_token: alice.refreshToken })).status).toBe(200)
  })
})

describe('rate limits', () => {
  test('login is refused with 429 and Retry-After before any hashing', async () => {
    const limited = await createTestPlatform([users], { AUTH_ATTEMPTS_PER_MINUTE: '3' })
    try {
      const attempt = () =>
        limited.request('/api/auth/login', { method: 'POST', json: { login: 'someone', password: 'whatever1' } })
      // A spy that calls through: it only counts how often the real argon2 verify runs.
      const verify = spyOn(Bun.password, 'verify')
      for (let i = 0; i < 3; i++) expect((await attempt()).status).toBe(401)
      const hashedBefore = verify.mock.calls.length
      expect(hashedBefore).toBe(3)
      const refused = await attempt()
      expect(refused.status).toBe(429)
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(refused.headers.get('content-type')).toBe('application/problem+json')
      expect(verify.mock.calls.length).toBe(hashedBefore)
      verify.mockRestore()
    } finally {
      await limited.close()
    }
    // A fresh platform and three real argon2id verifications: well past Bun's 5 s default on a loaded 2-core CI.
  }, 30_000)
})
