/**
 * A valid access token outlives its account (deleted since, or an id that never existed): every
 * write keyed by the token's user id is a clean `account.gone`, never a foreign-key 500, and
 * writes nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { problemType } from '../../platform/http/problem.ts'
import { createTestPlatform, type TestPlatform } from '../../platform/testing/harness.ts'
import { accessTokenFor } from '../../platform/testing/tokens.ts'
import { users } from './index.ts'
import { registerAccount, type SignedIn } from './test-accounts.ts'

let t: TestPlatform
let target: SignedIn
beforeAll(async () => {
  t = await createTestPlatform([users], { AUTH_ATTEMPTS_PER_MINUTE: '1000' })
  target = await registerAccount(t, 'stale_target')
})
afterAll(() => t.close())

/** The rows every refused write must leave as they were. */
const rows = async () => {
  const [row] = await t.sql.users!`select
    (select count(*)::int from user_roles) as roles,
    (select count(*)::int from followers) as follows,
    (select count(*)::int from follow_versions) as versions,
    (select count(*)::int from outbox) as events,
    (select count(*)::int from users) as users,
    (select count(*)::int from user_settings) as settings,
    (select count(*)::int from sessions where revoked_at is null) as sessions,
    (select roles_version from users where id = ${target.id}) as roles_version`
  return row
}

async function expectGone(res: Response) {
  expect({ status: res.status, type: ((await res.json()) as { type: string }).type }).toEqual({
    status: 401,
    type: problemType('account.gone'),
  })
}

/** A token of an account deleted after it signed in, and one of an id never issued. */
async function ghosts(roles: ('admin' | 'staff')[]) {
  const deleted = await registerAccount(t, `stale_${crypto.randomUUID().slice(0, 8)}`)
  await t.sql.users!`delete from users where id = ${deleted.id}`
  return [await accessTokenFor(t, deleted.id, roles), await accessTokenFor(t, '987654321', roles)]
}

describe('a token of an account that no longer exists', () => {
  test('an admin grant or revoke is account.gone and writes nothing', async () => {
    const admin = await accessTokenFor(t, target.id, ['admin'])
    expect((await t.request(`/api/users/${target.id}/roles/partner`, { method: 'PUT', token: admin })).status).toBe(204)
    for (const token of await ghosts(['admin'])) {
      const before = await rows()
      await expectGone(await t.request(`/api/users/${target.id}/roles/staff`, { method: 'PUT', token }))
      await expectGone(await t.request(`/api/users/${target.id}/roles/partner`, { method: 'DELETE', token }))
      expect(await rows()).toEqual(before)
    }
    // The target still holds what a living admin granted.
    const held = await t.sql.users!`select role from user_roles where user_id = ${target.id}`
    expect(held.map((r) => r.role)).toEqual(['partner'])
  })

  test('a follow is account.gone, not user.not_found, and writes nothing', async () => {
    for (const token of await ghosts([])) {
      const before = await rows()
      await expectGone(await t.request(`/api/users/${target.id}/follow`, { method: 'PUT', token }))
      expect(await rows()).toEqual(before)
    }
  })

  test('no authenticated route answers it with a 5xx, and none writes anything', async () => {
    const routes: [method: string, path: string, json?: unknown][] = [
      ['POST', '/api/auth/logout'],
      ['GET', '/api/auth/sessions'],
      ['DELETE', `/api/auth/sessions/${crypto.randomUUID()}`],
      ['PUT', `/api/users/${target.id}/follow`],
      ['DELETE', `/api/users/${target.id}/follow`],
      ['GET', '/api/users/me'],
      ['PATCH', '/api/users/me', { description: 'a ghost was here' }],
      ['GET', '/api/users/me/settings'],
      ['PATCH', '/api/users/me/settings', { language: 'fr' }],
      ['PUT', `/api/users/${target.id}/roles/staff`],
      ['DELETE', `/api/users/${target.id}/roles/partner`],
    ]
    for (const token of await ghosts(['admin', 'staff'])) {
      const before = await rows()
      for (const [method, path, json] of routes) {
        const res = await t.request(path, { method, token, json })
        expect({ method, path, status: res.status < 500 }).toEqual({ method, path, status: true })
      }
      expect(await rows()).toEqual(before)
    }
  })

  test('a follow of a user that does not exist stays user.not_found', async () => {
    const res = await t.request('/api/users/987654322/follow', { method: 'PUT', token: target.accessToken })
    expect(res.status).toBe(404)
    expect(((await res.json()) as { type: string }).type).toBe(problemType('user.not_found'))
  })
})
