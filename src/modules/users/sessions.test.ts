import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { loadConfig } from '../../platform/config.ts'
import { problemType } from '../../platform/http/problem.ts'
import { createPlatform } from '../../platform/platform.ts'
import { createTestPlatform, type TestPlatform } from '../../platform/testing/harness.ts'
import { accessTokenFor } from '../../platform/testing/tokens.ts'
import { users } from './index.ts'
import { registerAccount, type SignedIn } from './test-accounts.ts'

const RETRY_WINDOW_SECONDS = 30

let t: TestPlatform
let admin: string
beforeAll(async () => {
  t = await createTestPlatform([users], { AUTH_ATTEMPTS_PER_MINUTE: '1000', REFRESH_RETRY_WINDOW_SECONDS: String(RETRY_WINDOW_SECONDS) })
  // A real account (grants name their granter), made admin as admin:grant does.
  const boss = await registerAccount(t, 'sessions_admin')
  await t.sql.users!`insert into user_roles (user_id, role) values (${boss.id}, 'admin')`
  admin = await accessTokenFor(t, boss.id, ['admin'])
})
afterAll(() => t.close())

type Pair = { access_token: string; refresh_token: string }
const refresh = (refreshToken: string) => t.request('/api/auth/refresh', { method: 'POST', json: { refresh_token: refreshToken } })
const pairOf = async (res: Response): Promise<Pair> => {
  expect(res.status).toBe(200)
  return ((await res.json()) as { data: Pair }).data
}
const me = (token: string) => t.request('/api/users/me', { token })

/** The response is the problem of `code`, with `status`. */
async function expectProblem(res: Response, status: number, code: string) {
  expect({ status: res.status, type: ((await res.json()) as { type: string }).type }).toEqual({ status, type: problemType(code) })
}

const sessionsOf = async (token: string) =>
  ((await (await t.request('/api/auth/sessions', { token })).json()) as { data: { id: string; current: boolean; expires_at: string }[] }).data

const currentSession = async (account: SignedIn) => (await sessionsOf(account.accessToken)).find((s) => s.current)!.id

const tokenHash = (token: string) => Bun.SHA256.hash(token, 'hex')

describe('access tokens stop working when their session ends', () => {
  test('logout: the same access token is refused at once, as token.revoked', async () => {
    const account = await registerAccount(t, 'logout_revokes')
    expect((await me(account.accessToken)).status).toBe(200)
    expect((await t.request('/api/auth/logout', { method: 'POST', token: account.accessToken })).status).toBe(204)
    await expectProblem(await me(account.accessToken), 401, 'token.revoked')
    await expectProblem(await t.request('/api/auth/sessions', { token: account.accessToken }), 401, 'token.revoked')
    await expectProblem(await refresh(account.refreshToken), 401, 'session.revoked')
  })

  test('DELETE /api/auth/sessions/{id}: that session’s token is refused, the others work', async () => {
    const first = await registerAccount(t, 'revokes_other', 'revoker password')
    const login = await t.request('/api/auth/login', { method: 'POST', json: { login: 'revokes_other', password: 'revoker password' } })
    const second = await pairOf(login)
    const other = (await sessionsOf(first.accessToken)).find((s) => !s.current)!
    expect((await t.request(`/api/auth/sessions/${other.id}`, { method: 'DELETE', token: first.accessToken })).status).toBe(204)
    await expectProblem(await me(second.access_token), 401, 'token.revoked')
    expect((await me(first.accessToken)).status).toBe(200)
  })

  test('a reused refresh token: the family’s newest access token is refused too', async () => {
    const account = await registerAccount(t, 'reuse_revokes')
    const next = await pairOf(await refresh(account.refreshToken))
    const latest = await pairOf(await refresh(next.refresh_token))
    expect((await me(latest.access_token)).status).toBe(200)
    await expectProblem(await refresh(account.refreshToken), 401, 'refresh.reused')
    await expectProblem(await me(latest.access_token), 401, 'token.revoked')
    await expectProblem(await refresh(latest.refresh_token), 401, 'session.revoked')
  })

  test('a revoked role: the old token can no longer use it, a refreshed one works without it', async () => {
    const holder = await registerAccount(t, 'role_holder')
    const target = await registerAccount(t, 'role_target')
    const grantPartner = (token: string) => t.request(`/api/users/${target.id}/roles/partner`, { method: 'PUT', token })
    expect((await t.request(`/api/users/${holder.id}/roles/admin`, { method: 'PUT', token: admin })).status).toBe(204)
    const asAdmin = await pairOf(await refresh(holder.refreshToken))
    expect((await grantPartner(asAdmin.access_token)).status).toBe(204)

    expect((await t.request(`/api/users/${holder.id}/roles/admin`, { method: 'DELETE', token: admin })).status).toBe(204)
    await expectProblem(await grantPartner(asAdmin.access_token), 403, 'role.required')
    // Still a valid token for everything the user may still do.
    expect((await me(asAdmin.access_token)).status).toBe(200)

    const after = await pairOf(await refresh(asAdmin.refresh_token))
    expect((await me(after.access_token)).status).toBe(200)
    await expectProblem(await grantPartner(after.access_token), 403, 'role.required')

    // Granted again: a token minted since has it, the revocation notwithstanding.
    expect((await t.request(`/api/users/${holder.id}/roles/admin`, { method: 'PUT', token: admin })).status).toBe(204)
    const again = await pairOf(await refresh(after.refresh_token))
    expect((await grantPartner(again.access_token)).status).toBe(204)
    await expectProblem(await grantPartner(asAdmin.access_token), 403, 'role.required')
  })

  test('without Redis, a restarted process still refuses them (users announces them again at start)', async () => {
    const account = await registerAccount(t, 'restart_revoked')
    const holder = await registerAccount(t, 'restart_role')
    expect((await t.request(`/api/users/${holder.id}/roles/admin`, { method: 'PUT', token: admin })).status).toBe(204)
    const asAdmin = await pairOf(await refresh(holder.refreshToken))
    expect((await t.request('/api/auth/logout', { method: 'POST', token: account.accessToken })).status).toBe(204)
    expect((await t.request(`/api/users/${holder.id}/roles/admin`, { method: 'DELETE', token: admin })).status).toBe(204)

    // A new process on the same database: its list starts empty, with no Redis to load from.
    const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: '.data/test', DB_POOL_MAX: '2' })
    const restarted = await createPlatform({ ...config, modules: ['users'], databaseUrls: t.databaseUrls }, [users])
    try {
      const request = (path: string, token: string, method = 'GET') =>
        restarted.fetch(new Request(`http://ondes.test${path}`, { method, headers: { authorization: `Bearer ${token}` } }))
      await expectProblem(await request('/api/users/me', account.accessToken), 401, 'token.revoked')
      await expectProblem(await request(`/api/users/${account.id}/roles/partner`, asAdmin.access_token, 'PUT'), 403, 'role.required')
      expect((await request('/api/users/me', asAdmin.access_token)).status).toBe(200)
    } finally {
      await restarted.stop()
    }
  }, 20_000)
})

describe('session lifetimes', () => {
  test('a refresh of a session past its expires_at fails with session.expired', async () => {
    const account = await registerAccount(t, 'idle_expired')
    await t.sql.users!`update sessions set expires_at = now() - interval '1 second' where user_id = ${account.id}`
    await expectProblem(await refresh(account.refreshToken), 401, 'session.expired')
    expect(await t.sql.users!`select 1 from refresh_tokens join sessions on sessions.id = session_id where user_id = ${account.id}`).toHaveLength(1)
  })

  test('refreshing slides the idle expiry (7 days by default)', async () => {
    const account = await registerAccount(t, 'idle_slides')
    await t.sql.users!`update sessions set expires_at = now() + interval '1 hour' where user_id = ${account.id}`
    const next = await pairOf(await refresh(account.refreshToken))
    const [session] = await sessionsOf(next.access_token)
    expect(Math.abs(Date.parse(session!.expires_at) - (Date.now() + 7 * 86_400_000))).toBeLessThan(60_000)
  })

  test('never past the absolute lifetime (30 days by default), and not at all after it', async () => {
    const account = await registerAccount(t, 'absolute_end')
    await t.sql.users!`update sessions set created_at = now() - interval '30 days' + interval '1 hour' where user_id = ${account.id}`
    const next = await pairOf(await refresh(account.refreshToken))
    const [session] = await sessionsOf(next.access_token)
    expect(Math.abs(Date.parse(session!.expires_at) - (Date.now() + 3_600_000))).toBeLessThan(60_000)

    await t.sql.users!`update sessions set created_at = now() - interval '30 days' - interval '1 second' where user_id = ${account.id}`
    await expectProblem(await refresh(next.refresh_token), 401, 'session.expired')
    expect(await sessionsOf(next.access_token)).toEqual([])
  })

  test('an idle lifetime longer than the absolute one is refused at start', async () => {
    const refused = await createTestPlatform([users], { REFRESH_TOKEN_TTL_SECONDS: '7200', SESSION_ABSOLUTE_LIFETIME_SECONDS: '3600' }).then(
      async (started) => {
        await started.close()
        return undefined
      },
      (error: unknown) => error,
    )
    expect(String(refused)).toContain('REFRESH_TOKEN_TTL_SECONDS: expected at most SESSION_ABSOLUTE_LIFETIME_SECONDS (3600), got "7200"')
  })
})

describe('a refresh retried within the window', () => {
  test('gets the same pair, which works', async () => {
    const account = await registerAccount(t, 'retry_same')
    const first = await pairOf(await refresh(account.refreshToken))
    await Bun.sleep(1100) // a retry a second later: the access token's iat must not move
    const retried = await pairOf(await refresh(account.refreshToken))
    expect(retried).toEqual(first)
    expect((await me(retried.access_token)).status).toBe(200)
    expect((await pairOf(await refresh(retried.refresh_token))).refresh_token).not.toBe(first.refresh_token)
  })

  test('concurrent retries all get the same pair', async () => {
    const account = await registerAccount(t, 'retry_racing')
    const answers = await Promise.all(Array.from({ length: 8 }, () => refresh(account.refreshToken)))
    const pairs = await Promise.all(answers.map(pairOf))
    for (const pair of pairs) expect(pair).toEqual(pairs[0]!)
    expect(await t.sql.users!`select 1 from refresh_tokens join sessions on sessions.id = session_id where user_id = ${account.id}`).toHaveLength(2)
  })

  test('outside the window, the same token is reuse: the family is revoked', async () => {
    const account = await registerAccount(t, 'retry_late')
    const next = await pairOf(await refresh(account.refreshToken))
    await t.sql.users!`
      update refresh_tokens set rotated_at = now() - make_interval(secs => ${RETRY_WINDOW_SECONDS + 1})
      where token_hash = ${tokenHash(account.refreshToken)}`
    await expectProblem(await refresh(account.refreshToken), 401, 'refresh.reused')
    await expectProblem(await refresh(next.refresh_token), 401, 'session.revoked')
    await expectProblem(await me(next.access_token), 401, 'token.revoked')
  })

  test('once its successor was used, the same token is reuse even within the window', async () => {
    const account = await registerAccount(t, 'retry_after_use')
    const next = await pairOf(await refresh(account.refreshToken))
    await pairOf(await refresh(next.refresh_token))
    await expectProblem(await refresh(account.refreshToken), 401, 'refresh.reused')
  })

  test('a session revoked between the two: the retry says so', async () => {
    const account = await registerAccount(t, 'retry_revoked')
    const sessionId = await currentSession(account)
    await pairOf(await refresh(account.refreshToken))
    expect((await t.request(`/api/auth/sessions/${sessionId}`, { method: 'DELETE', token: account.accessToken })).status).toBe(204)
    await expectProblem(await refresh(account.refreshToken), 401, 'session.revoked')
  })
})
