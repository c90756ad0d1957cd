/**
 * Revocation across processes (issue 9): users in one process, a module that only verifies
 * tokens (the probe's admin route) in another, on this machine's Redis. A logout or a revoked
 * role on users reaches the other process within a second, with no call to users, and a
 * process started afterwards refuses the same tokens from what Redis keeps.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import Redis from 'ioredis'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { users } from '../../src/modules/users/index.ts'
import { revocationStoreKey } from '../../src/platform/auth/revocation-feed.ts'
import { problemType } from '../../src/platform/http/problem.ts'
import { PROBE_MIGRATIONS } from '../../src/platform/testing/fixtures/probe-module.ts'
import { createDatabaseFromTemplate } from '../../src/platform/testing/databases.ts'
import { testRedisUrl } from '../../src/platform/testing/harness.ts'
import { freePort, startApp, type AppProcess } from '../../src/platform/testing/processes.ts'
import { cleanupStack } from './ledgers.ts'

const redisUrl = testRedisUrl('revocation across processes')
const GUARDED_ENTRY = 'test/split/guarded-main.ts'

type Pair = { access_token: string; refresh_token: string; user_id: string }

describe.skipIf(!redisUrl)('revocation across processes on Redis', () => {
  const cleanups = cleanupStack('revocation test')
  let shared: Record<string, string>
  let usersUrl: string
  let guardedEnv: Record<string, string>
  let usersApp: AppProcess
  let guarded: AppProcess

  const start = async (env: Record<string, string>, entry?: string) => {
    const app = startApp({ ...env, PORT: String(freePort()) }, entry)
    cleanups.push(async () => {
      app.child.kill('SIGKILL')
      await app.exited
    })
    await app.waitUntilReady()
    return app
  }

  beforeAll(async () => {
    const [usersDb, probeDb] = await Promise.all([
      createDatabaseFromTemplate(users.name, users.migrations),
      createDatabaseFromTemplate('probe', PROBE_MIGRATIONS),
    ])
    cleanups.push(() => usersDb.drop(), () => probeDb.drop())
    usersUrl = usersDb.url
    // Both read the key pair users generates here; its own pair gives this run a namespace of its own in Redis.
    const dataDir = mkdtempSync(join(tmpdir(), 'ondes-revocation-'))
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
    shared = { HOST: '127.0.0.1', DATA_DIR: dataDir, REDIS_URL: redisUrl!, EVENTS_STREAM_PREFIX: `test:revocation:${crypto.randomUUID()}`, LOG_LEVEL: 'warn' }
    usersApp = await start({ ...shared, MODULES: 'users', USERS_DATABASE_URL: usersUrl, AUTH_ATTEMPTS_PER_MINUTE: '100000' })
    guardedEnv = { ...shared, PROBE_DATABASE_URL: probeDb.url }
    guarded = await start(guardedEnv, GUARDED_ENTRY)
    cleanups.push(async () => {
      const redis = new Redis(redisUrl!)
      await redis.del(revocationStoreKey(readFileSync(join(dataDir, 'keys/jwt-ed25519.pub.pem'), 'utf8')))
      await redis.quit()
    })
  }, 60_000)

  afterAll(() => cleanups.run(), 30_000)

  const call = (app: AppProcess, path: string, init: { method?: string; token?: string; json?: unknown } = {}) =>
    fetch(`${app.baseUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.json ? { 'content-type': 'application/json' } : {}) },
      body: init.json ? JSON.stringify(init.json) : undefined,
    })
  const pairOf = async (res: Response): Promise<Pair> => {
    if (res.status !== 200 && res.status !== 201) throw new Error(`${res.status} ${await res.text()}`)
    return ((await res.json()) as { data: Pair }).data
  }
  const register = (login: string) =>
    call(usersApp, '/api/auth/register', { method: 'POST', json: { login, email: `${login}@revocation.test`, password: 'correct horse battery' } })
  const refresh = async (pair: Pair) => pairOf(await call(usersApp, '/api/auth/refresh', { method: 'POST', json: { refresh_token: pair.refresh_token } }))
  const adminRoute = (app: AppProcess, token: string) => call(app, '/api/users/-/admin', { token })
  const problem = async (res: Response) => ({ status: res.status, type: res.status === 200 ? '' : ((await res.json()) as { type: string }).type })

  /** Polls until `check` holds, and returns how long after `since` it first did. */
  async function within(what: string, since: number, check: () => Promise<boolean>, timeoutMs = 5000): Promise<number> {
    while (!(await check())) {
      if (performance.now() - since > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`)
      await Bun.sleep(10)
    }
    return performance.now() - since
  }

  /** An account holding admin, signed in with it: made admin as admin:grant does, then refreshed. */
  async function adminAccount(login: string): Promise<Pair> {
    const pair = await pairOf(await register(login))
    const sql = postgres(usersUrl, { max: 1, onnotice: () => {} })
    await sql`insert into user_roles (user_id, role) values (${pair.user_id}, 'admin')`
    await sql.end()
    return refresh(pair)
  }

  test('logout on users: the token is refused on the other process within 1 s, and by one started later', async () => {
    const victim = await adminAccount('revoked_victim')
    expect((await adminRoute(guarded, victim.access_token)).status).toBe(200)

    const loggedOut = performance.now()
    expect((await call(usersApp, '/api/auth/logout', { method: 'POST', token: victim.access_token })).status).toBe(204)
    const elapsed = await within('the logout reaching the other process', loggedOut, async () => (await adminRoute(guarded, victim.access_token)).status === 401)
    expect(elapsed).toBeLessThan(1000)
    expect(await problem(await adminRoute(guarded, victim.access_token))).toEqual({ status: 401, type: problemType('token.revoked') })

    const later = await start({ ...guardedEnv }, GUARDED_ENTRY)
    expect(await problem(await adminRoute(later, victim.access_token))).toEqual({ status: 401, type: problemType('token.revoked') })
    // It accepts a token that was not revoked.
    const other = await adminAccount('not_revoked')
    expect((await adminRoute(later, other.access_token)).status).toBe(200)
  }, 30_000)

  test('a role revoked on users: the old token loses it on the other process within 1 s; a refreshed one works without it', async () => {
    const boss = await adminAccount('revocation_boss')
    const holder = await adminAccount('role_loser')
    expect((await adminRoute(guarded, holder.access_token)).status).toBe(200)

    const revoked = performance.now()
    expect((await call(usersApp, `/api/users/${holder.user_id}/roles/admin`, { method: 'DELETE', token: boss.access_token })).status).toBe(204)
    const elapsed = await within('the revoked role reaching the other process', revoked, async () => (await adminRoute(guarded, holder.access_token)).status === 403)
    expect(elapsed).toBeLessThan(1000)
    expect(await problem(await adminRoute(guarded, holder.access_token))).toEqual({ status: 403, type: problemType('role.required') })

    const refreshed = await refresh(holder)
    // A valid token (403, not 401) without the role, here and on users.
    expect(await problem(await adminRoute(guarded, refreshed.access_token))).toEqual({ status: 403, type: problemType('role.required') })
    expect((await call(usersApp, '/api/users/me', { token: refreshed.access_token })).status).toBe(200)
    expect((await adminRoute(guarded, boss.access_token)).status).toBe(200)

    const later = await start({ ...guardedEnv }, GUARDED_ENTRY)
    expect(await problem(await adminRoute(later, holder.access_token))).toEqual({ status: 403, type: problemType('role.required') })
    expect((await adminRoute(later, boss.access_token)).status).toBe(200)
  }, 30_000)
})
