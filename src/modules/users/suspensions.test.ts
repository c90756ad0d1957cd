import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { problemType } from '../../platform/http/problem.ts'
import { movableClock } from '../../platform/testing/clock.ts'
import { publishedEvents } from '../../platform/testing/events.ts'
import { createTestPlatform, type TestPlatform } from '../../platform/testing/harness.ts'
import { accessTokenFor } from '../../platform/testing/tokens.ts'
import { users } from './index.ts'
import { usersSnapshot } from './snapshot.ts'
import { registerAccount, type SignedIn } from './test-accounts.ts'

const HOUR_MS = 3_600_000
const PASSWORD = 'correct horse battery'
const clock = movableClock(new Date())
let t: TestPlatform
let admin: SignedIn & { adminToken: string }
beforeAll(async () => {
  t = await createTestPlatform([users], { AUTH_ATTEMPTS_PER_MINUTE: '1000' }, { clock })
  const account = await registerAccount(t, 'susp_admin')
  await t.sql.users!`insert into user_roles (user_id, role) values (${account.id}, 'admin')`
  admin = { ...account, adminToken: await accessTokenFor(t, account.id, ['admin'], { login: account.login }) }
}, 30_000)
afterAll(() => t.close(), 30_000)

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
      for await (const batch of usersSnapshot({ sql: t.sql.users!, types: new Set(['users.suspended.v1']) })) events.push(...batch)
      return events.filter((e) => e.type === 'users.suspended.v1' && (e.payload as { user_id: string }).user_id === target.id)
    }
    expect(await snapshot()).toEqual([{ type: 'users.suspended.v1', payload: suspended[0]! }])

    expect((await reinstate(target.id)).status).toBe(204)
    expect((await reinstate(target.id)).status).toBe(204)
    expect(await eventsFor('users.reinstated.v1', target.id)).toEqual<unknown[]>([{ user_id: target.id, by_user_id: admin.id, version: 3 }])
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
    // A second suspension replaces the one in force, with a higher version.
    expect((await suspend(target.id, { reason: 'First' })).status).toBe(200)
    expect((await suspend(target.id, { reason: 'Second', ends_at: null })).status).toBe(200)
    expect((await suspensionRow(target.id))?.suspension_reason).toBe('Second')
    expect((await eventsFor('users.suspended.v1', target.id)).map((e) => e.version)).toEqual([2, 3, 4])
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
})
