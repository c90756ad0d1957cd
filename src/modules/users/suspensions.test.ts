import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { loadConfig } from '../../platform/config.ts'
import { createModuleDatabase, type ModuleDatabase } from '../../platform/db/database.ts'
import { waitFor } from '../../platform/events/test-probe.ts'
import { problemType } from '../../platform/http/problem.ts'
import { createMetrics } from '../../platform/metrics.ts'
import { createPlatform, type Platform } from '../../platform/platform.ts'
import { movableClock } from '../../platform/testing/clock.ts'
import { publishedEvents } from '../../platform/testing/events.ts'
import { createTestPlatform, type TestPlatform } from '../../platform/testing/harness.ts'
import { accessTokenFor } from '../../platform/testing/tokens.ts'
import { users } from './index.ts'
import { usersSnapshot } from './snapshot.ts'
import { endSuspensionsDue } from './suspensions.ts'
import { registerAccount, type SignedIn } from './test-accounts.ts'

const HOUR_MS = 3_600_000
const PASSWORD = 'correct horse battery'
// The job that lifts ended suspensions runs often here, on both replicas (one at a time).
const ENV = { AUTH_ATTEMPTS_PER_MINUTE: '1000', SUSPENSION_ENDS_EVERY_MS: '50', DB_POOL_MAX: '10' }
const clock = movableClock(new Date())
let t: TestPlatform
/** A second replica on the same databases and clock, running the same jobs. */
let replica: Platform
/** The users database from outside both replicas, for runs of the job of the test's own. */
let database: ModuleDatabase
let admin: SignedIn & { adminToken: string }
beforeAll(async () => {
  t = await createTestPlatform([users], ENV, { clock })
  const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: '.data/test', ...ENV })
  replica = await createPlatform({ ...config, modules: ['users'], databaseUrls: t.databaseUrls }, [users], { clock })
  database = createModuleDatabase({ module: 'users', url: t.databaseUrls.users!, poolMax: 4, queryDuration: createMetrics().queryDuration })
  const account = await registerAccount(t, 'susp_admin')
  await t.sql.users!`insert into user_roles (user_id, role) values (${account.id}, 'admin')`
  admin = { ...account, adminToken: await accessTokenFor(t, account.id, ['admin'], { login: account.login }) }
}, 30_000)
afterAll(async () => {
  await database.close()
  await replica.stop()
  await t.close()
}, 30_000)

const suspend = (id: string, json: unknown, token = admin.adminToken) => t.request(`/api/users/${id}/suspension`, { method: 'PUT', token, json })
const reinstate = (id: string, token = admin.adminToken) => t.request(`/api/users/${id}/suspension`, { method: 'DELETE', token })
const login = (name: string, password = PASSWORD) => t.request('/api/auth/login', { method: 'POST', json: { login: name, password } })
const me = (token: string) => t.request('/api/users/me', { token })
const liveSessions = async (id: string) =>
  (await t.sql.users!`select count(*)::int as n from sessions where user_id = ${id} and revoked_at is null`)[0]!.n as number
const suspensionRow = async (id: string) =>
  (await t.sql.users!`select suspended_at, suspension_ends_at, suspension_reason, suspension_version from users where id = ${id}`)[0]
const eventsFor = async (type: string, id: string) =>
  (await publishedEvents(t, users, { type })).map((e) => e.payload as { user_id: string; version: number }).filter((p) => p.user_id === id)

describe('suspensions', () => {
  test('only admins suspend and reinstate; bad input is a 4xx problem that writes nothing', async () => {
    const target = await registerAccount(t, 'susp_target')
    const other = await registerAccount(t, 'susp_bystander')
    await t.sql.users!`insert into user_roles (user_id, role) values (${other.id}, 'admin')`
    const before = await suspensionRow(target.id)

    expect((await suspend(target.id, { reason: 'spam' }, target.accessToken)).status).toBe(403)
    expect((await reinstate(target.id, target.accessToken)).status).toBe(403)
    expect((await t.request(`/api/users/${target.id}/suspension`, { method: 'PUT', json: { reason: 'spam' } })).status).toBe(401)

    const refusals: [unknown, string, number][] = [
      [{}, `/api/users/${target.id}`, 400],
      [{ reason: '' }, `/api/users/${target.id}`, 400],
      [{ reason: 'x'.repeat(501) }, `/api/users/${target.id}`, 400],
      [{ reason: 'spam\u202E' }, `/api/users/${target.id}`, 400],
      [{ reason: 'spam', ends_at: 'tomorrow' }, `/api/users/${target.id}`, 400],
      [{ reason: 'spam', ends_at: 1_800_000_000 }, `/api/users/${target.id}`, 400],
      [{ reason: 'spam', extra: true }, `/api/users/${target.id}`, 400],
      [{ reason: 'spam', ends_at: new Date(clock().getTime() - 1000).toISOString() }, `/api/users/${target.id}`, 400],
      [{ reason: 'spam' }, '/api/users/not-an-id', 400],
      [{ reason: 'spam' }, `/api/users/${admin.id}`, 400],
      [{ reason: 'spam' }, `/api/users/${other.id}`, 409],
      [{ reason: 'spam' }, '/api/users/987654321', 404],
    ]
    for (const [json, path, status] of refusals) {
      const res = await t.request(`${path}/suspension`, { method: 'PUT', token: admin.adminToken, json })
      expect([JSON.stringify(json), path, res.status]).toEqual([JSON.stringify(json), path, status])
      expect(res.headers.get('content-type')).toBe('application/problem+json')
    }
    expect((await suspend(target.id, { reason: 'spam', ends_at: clock().toISOString() })).status).toBe(400)
    const self = (await (await suspend(admin.id, { reason: 'spam' })).json()) as { type: string }
    expect(self.type).toBe(problemType('suspension.self'))
    const anAdmin = (await (await suspend(other.id, { reason: 'spam' })).json()) as { type: string }
    expect(anAdmin.type).toBe(problemType('suspension.admin'))
    expect((await reinstate('987654321')).status).toBe(404)
    expect(await suspensionRow(target.id)).toEqual(before)
    expect(await suspensionRow(other.id)).toMatchObject({ suspended_at: null })
    expect(await eventsFor('users.suspended.v1', target.id)).toEqual([])
    expect(await liveSessions(target.id)).toBe(1)
  }, 30_000)

  test('a suspension ends every session at once and refuses logins with a 403 until reinstated', async () => {
    const target = await registerAccount(t, 'susp_cheater')
    const second = (await (await login('susp_cheater')).json()) as { data: { access_token: string; refresh_token: string } }
    expect(await liveSessions(target.id)).toBe(2)
    expect((await me(target.accessToken)).status).toBe(200)

    const res = await suspend(target.id, { reason: 'Cheating in ranked play' })
    expect(res.status).toBe(200)
    const view = (await res.json()) as { data: Record<string, unknown> }
    expect(view.data).toEqual({
      user_id: target.id,
      reason: 'Cheating in ranked play',
      ends_at: null,
      suspended_at: expect.any(String),
      suspended_by: admin.id,
    })
    // Both sessions: their access tokens stop at once, their refresh tokens refuse.
    expect(await liveSessions(target.id)).toBe(0)
    expect((await me(target.accessToken)).status).toBe(401)
    expect((await me(second.data.access_token)).status).toBe(401)
    const refresh = await t.request('/api/auth/refresh', { method: 'POST', json: { refresh_token: second.data.refresh_token } })
    expect(refresh.status).toBe(401)

    // The right password learns of the suspension; a wrong one learns nothing more than of any account.
    const refused = await login('susp_cheater')
    expect(refused.status).toBe(403)
    expect(refused.headers.get('content-type')).toBe('application/problem+json')
    const problem = (await refused.json()) as { type: string; detail: string }
    expect(problem.type).toBe(problemType('account.suspended'))
    expect(problem.detail).toContain('Cheating in ranked play')
    expect((await login('susp_cheater', 'wrong password here')).status).toBe(401)
    expect(await liveSessions(target.id)).toBe(0)

    const suspended = await eventsFor('users.suspended.v1', target.id)
    expect(suspended).toEqual<unknown[]>([{ user_id: target.id, reason: 'Cheating in ranked play', ends_at: null, by_user_id: admin.id, version: 2 }])

    // In the snapshot a late consumer gets, while in force.
    const snapshot = async () => {
      const events = []
      for await (const batch of usersSnapshot({ sql: t.sql.users!, types: new Set(['users.suspended.v1']), clock })) events.push(...batch)
      return events.filter((e) => e.type === 'users.suspended.v1' && (e.payload as { user_id: string }).user_id === target.id)
    }
    expect(await snapshot()).toEqual([{ type: 'users.suspended.v1', payload: suspended[0]! }])

    expect((await reinstate(target.id)).status).toBe(204)
    expect((await reinstate(target.id)).status).toBe(204)
    expect(await eventsFor('users.reinstated.v1', target.id)).toEqual<unknown[]>([{ user_id: target.id, by_user_id: admin.id, version: 3, expired: false }])
    expect(await snapshot()).toEqual([])
    expect((await login('susp_cheater')).status).toBe(200)
  }, 30_000)

  test('a timed suspension refuses logins until ends_at on the clock, then ends by itself', async () => {
    const target = await registerAccount(t, 'susp_timeout')
    const endsAt = new Date(clock().getTime() + HOUR_MS).toISOString()
    const res = await suspend(target.id, { reason: 'Cooling off', ends_at: endsAt })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { data: { ends_at: string } }).data.ends_at).toBe(endsAt)
    expect((await login('susp_timeout')).status).toBe(403)
    clock.advance(HOUR_MS - 1000)
    const still = (await (await login('susp_timeout')).json()) as { detail: string }
    expect(still.detail).toContain(endsAt)
    clock.advance(2000)
    const back = await login('susp_timeout')
    expect(back.status).toBe(200)
    const { access_token } = ((await back.json()) as { data: { access_token: string } }).data
    expect((await me(access_token)).status).toBe(200)
    expect(await eventsFor('users.suspended.v1', target.id)).toEqual<unknown[]>([expect.objectContaining({ ends_at: endsAt })])
    // The job lifts it and says so.
    await waitFor('the end announced', async () => (await eventsFor('users.reinstated.v1', target.id)).length > 0)
    expect(await eventsFor('users.reinstated.v1', target.id)).toEqual<unknown[]>([{ user_id: target.id, by_user_id: null, version: 3, expired: true }])
    expect(await suspensionRow(target.id)).toMatchObject({ suspended_at: null, suspension_ends_at: null, suspension_reason: null })
    // A second suspension replaces the one in force, with a higher version.
    expect((await suspend(target.id, { reason: 'First' })).status).toBe(200)
    expect((await suspend(target.id, { reason: 'Second', ends_at: null })).status).toBe(200)
    expect((await suspensionRow(target.id))?.suspension_reason).toBe('Second')
    expect((await eventsFor('users.suspended.v1', target.id)).map((e) => e.version)).toEqual([2, 4, 5])
  }, 30_000)

  test('logins racing a suspension: once it has answered, no session of the account is left', async () => {
    const target = await registerAccount(t, 'susp_racer')
    const logins = Array.from({ length: 8 }, (_, i) => Bun.sleep(i * 15).then(() => login('susp_racer')))
    await Bun.sleep(40)
    expect((await suspend(target.id, { reason: 'Racing' })).status).toBe(200)
    const answers = await Promise.all(logins)
    const statuses = answers.map((r) => r.status)
    expect(statuses.every((s) => s === 200 || s === 403)).toBe(true)
    expect(await liveSessions(target.id)).toBe(0)
    for (const answer of answers.filter((r) => r.status === 200)) {
      const { access_token } = ((await answer.json()) as { data: { access_token: string } }).data
      expect((await me(access_token)).status).toBe(401)
    }
  }, 30_000)

  test('the suspension in force is an admin’s to read: 404 once lifted or ended, problem+json on refusals', async () => {
    const target = await registerAccount(t, 'susp_lookup')
    const lookup = (id: string, token = admin.adminToken) => t.request(`/api/users/${id}/suspension`, { token })
    const typeOf = async (res: Response) => {
      expect(res.headers.get('content-type')).toBe('application/problem+json')
      return ((await res.json()) as { type: string }).type
    }
    expect(await typeOf(await lookup(target.id))).toBe(problemType('suspension.not_found'))
    expect(await typeOf(await lookup('987654321'))).toBe(problemType('user.not_found'))
    expect((await lookup('not-an-id')).status).toBe(400)
    expect((await t.request(`/api/users/${target.id}/suspension`)).status).toBe(401)

    const endsAt = new Date(clock().getTime() + HOUR_MS).toISOString()
    const put = (await (await suspend(target.id, { reason: 'Ban evasion', ends_at: endsAt })).json()) as { data: unknown }
    const res = await lookup(target.id)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ data: put.data })
    expect(put.data).toMatchObject({ user_id: target.id, reason: 'Ban evasion', ends_at: endsAt, suspended_by: admin.id })
    // Not the account's own to read (it learns of it from its logins' 403), nor anyone else's.
    const other = await registerAccount(t, 'susp_nosy')
    expect((await lookup(target.id, other.accessToken)).status).toBe(403)

    clock.advance(HOUR_MS)
    expect(await typeOf(await lookup(target.id))).toBe(problemType('suspension.not_found'))
    expect((await suspend(target.id, { reason: 'Ban evasion' })).status).toBe(200)
    expect((await lookup(target.id)).status).toBe(200)
    expect((await reinstate(target.id)).status).toBe(204)
    expect((await lookup(target.id)).status).toBe(404)
  }, 30_000)

  test('ended suspensions are lifted and announced exactly once, with two replicas and overlapping runs', async () => {
    const timed = await Promise.all(Array.from({ length: 12 }, (_, i) => registerAccount(t, `susp_timed_${i}`)))
    const lasting = await registerAccount(t, 'susp_lasting')
    const later = await registerAccount(t, 'susp_later')
    const endsAt = new Date(clock().getTime() + HOUR_MS).toISOString()
    for (const account of timed) expect((await suspend(account.id, { reason: 'Timed out', ends_at: endsAt })).status).toBe(200)
    expect((await suspend(lasting.id, { reason: 'Until reinstated' })).status).toBe(200)
    expect((await suspend(later.id, { reason: 'Longer', ends_at: new Date(clock().getTime() + 3 * HOUR_MS).toISOString() })).status).toBe(200)
    const ended = async () => (await publishedEvents(t, users, { type: 'users.reinstated.v1' })).map((e) => e.payload as { user_id: string; expired: boolean })
    const before = (await ended()).length
    await Bun.sleep(200)
    expect((await ended()).length).toBe(before)

    clock.advance(HOUR_MS)
    // Runs of the test's own race the replicas' jobs.
    const signal = new AbortController().signal
    await Promise.all(Array.from({ length: 4 }, () => endSuspensionsDue(database, clock)({ signal })))
    await waitFor('every timed suspension lifted', async () => {
      const [row] = await t.sql.users!`select count(*)::int as n from users where suspension_ends_at is not null and suspension_ends_at <= ${clock()}`
      return row!.n === 0
    })
    await Bun.sleep(200)
    const announced = (await ended()).slice(before)
    expect(announced.map((p) => p.user_id).sort()).toEqual(timed.map((a) => a.id).sort())
    expect(announced.every((p) => p.expired)).toBe(true)
    for (const account of timed) expect((await suspensionRow(account.id))?.suspension_version).toBe(3)
    expect((await suspensionRow(lasting.id))?.suspension_reason).toBe('Until reinstated')
    expect((await suspensionRow(later.id))?.suspension_reason).toBe('Longer')
    expect((await login('susp_timed_0')).status).toBe(200)
    expect((await login('susp_lasting')).status).toBe(403)
  }, 30_000)

  test('admin grants racing suspensions of the same accounts never leave a suspended admin', async () => {
    const accounts = await Promise.all(Array.from({ length: 30 }, (_, i) => registerAccount(t, `susp_grant_${i}`)))
    const grant = (id: string) => t.request(`/api/users/${id}/roles/admin`, { method: 'PUT', token: admin.adminToken })
    const pairs = await Promise.all(
      accounts.map(async (account, i) => {
        // Alternate which is sent first, so both orders of arrival occur.
        const [first, second] = i % 2 === 0 ? [grant, (id: string) => suspend(id, { reason: 'Race' })] : [(id: string) => suspend(id, { reason: 'Race' }), grant]
        const answers = await Promise.all([first(account.id), second(account.id)])
        const [granted, suspended] = i % 2 === 0 ? answers : [answers[1]!, answers[0]!]
        return { granted: granted.status, suspended: suspended.status, types: await Promise.all(answers.filter((r) => r.status === 409).map(async (r) => ((await r.json()) as { type: string }).type)) }
      }),
    )
    // Exactly one of each pair succeeds; the other names the one that won.
    for (const pair of pairs) {
      expect([{ granted: 204, suspended: 409, types: [problemType('suspension.admin')] }, { granted: 409, suspended: 200, types: [problemType('role.suspended')] }]).toContainEqual(pair)
    }
    const [row] = await t.sql.users!`
      select count(*)::int as n from users u join user_roles r on r.user_id = u.id and r.role = 'admin' where u.suspended_at is not null`
    expect(row!.n).toBe(0)

    // Once reinstated, the grant goes through.
    const suspendedOne = accounts.find((_, i) => pairs[i]!.suspended === 200)
    if (suspendedOne) {
      expect((await reinstate(suspendedOne.id)).status).toBe(204)
      expect((await grant(suspendedOne.id)).status).toBe(204)
    }
  }, 30_000)
})
