import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { resolve } from 'node:path'
import { createTestPlatform, type TestPlatform } from '../../platform/testing/harness.ts'
import { users } from './index.ts'
import { registerAccount } from './test-accounts.ts'

let t: TestPlatform
beforeAll(async () => {
  t = await createTestPlatform([users], { AUTH_ATTEMPTS_PER_MINUTE: '1000' })
})
afterAll(() => t.close())

const adminGrant = (login: string) =>
  Bun.spawn(['bun', resolve(import.meta.dir, '../../../scripts/admin-grant.ts'), login], {
    env: { ...process.env, USERS_DATABASE_URL: t.databaseUrls.users, LOG_LEVEL: 'silent' },
    stdout: 'pipe',
    stderr: 'pipe',
  })

const broadcasterType = async (id: string) =>
  (await t.sql.users!`select broadcaster_type from users where id = ${id}`)[0]?.broadcaster_type as string | undefined

describe('roles', () => {
  test('the first admin comes from admin:grant; admins grant and revoke roles', async () => {
    const boss = await registerAccount(t, 'the_boss', 'boss password')
    const creator = await registerAccount(t, 'a_creator')

    // Not yet an admin.
    const denied = await t.request(`/api/users/${creator.id}/roles/partner`, { method: 'PUT', token: boss.accessToken })
    expect(denied.status).toBe(403)

    const grant = adminGrant('The_Boss')
    expect(await grant.exited).toBe(0)
    expect(await new Response(grant.stdout).text()).toContain('the_boss')

    // The role reaches the token at the next login.
    const login = await t.request('/api/auth/login', { method: 'POST', json: { login: 'the_boss', password: 'boss password' } })
    const { access_token: adminToken } = ((await login.json()) as { data: { access_token: string } }).data

    const granted = await t.request(`/api/users/${creator.id}/roles/partner`, { method: 'PUT', token: adminToken })
    expect(granted.status).toBe(204)
    const again = await t.request(`/api/users/${creator.id}/roles/partner`, { method: 'PUT', token: adminToken })
    expect(again.status).toBe(204)
    const profile = (await (await t.request(`/api/users/${creator.id}`)).json()) as { data: { broadcaster_type: string } }
    expect(profile.data.broadcaster_type).toBe('partner')
    const lookup = (await (await t.request(`/api/users?id=${creator.id}`)).json()) as { data: { broadcaster_type: string }[] }
    expect(lookup.data[0]?.broadcaster_type).toBe('partner')
    // Other roles leave it alone.
    expect((await t.request(`/api/users/${creator.id}/roles/staff`, { method: 'PUT', token: adminToken })).status).toBe(204)
    expect((await t.request(`/api/users/${creator.id}/roles/staff`, { method: 'DELETE', token: adminToken })).status).toBe(204)
    expect(await broadcasterType(creator.id)).toBe('partner')

    expect((await t.request(`/api/users/${creator.id}/roles/partner`, { method: 'DELETE', token: adminToken })).status).toBe(204)
    const after = (await (await t.request(`/api/users/${creator.id}`)).json()) as { data: { broadcaster_type: string } }
    expect(after.data.broadcaster_type).toBe('')

    expect((await t.request(`/api/users/${creator.id}/roles/emperor`, { method: 'PUT', token: adminToken })).status).toBe(400)
    expect((await t.request('/api/users/987654321/roles/staff', { method: 'PUT', token: adminToken })).status).toBe(404)
  })

  test('a refresh mints a token with the roles held now', async () => {
    const me = await registerAccount(t, 'soon_staff')
    const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { roles: string[] }
    expect(claims(me.accessToken).roles).toEqual([])

    await t.sql.users!`insert into user_roles (user_id, role) values (${me.id}, 'staff'), (${me.id}, 'partner')`
    const refreshed = await t.request('/api/auth/refresh', { method: 'POST', json: { refresh_token: me.refreshToken } })
    expect(refreshed.status).toBe(200)
    const { access_token } = ((await refreshed.json()) as { data: { access_token: string } }).data
    expect(claims(access_token).roles).toEqual(['partner', 'staff'])
  })

  test('broadcaster_type follows the partner role, however concurrent grants and revokes interleave', async () => {
    await registerAccount(t, 'race_admin', 'race password')
    expect(await adminGrant('race_admin').exited).toBe(0)
    const login = await t.request('/api/auth/login', { method: 'POST', json: { login: 'race_admin', password: 'race password' } })
    const { access_token: token } = ((await login.json()) as { data: { access_token: string } }).data
    const streamer = await registerAccount(t, 'race_streamer')
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          t.request(`/api/users/${streamer.id}/roles/partner`, { method: i % 2 === 0 ? 'PUT' : 'DELETE', token }),
        ),
      )
      expect(answers.map((res) => res.status)).toEqual(Array(12).fill(204))
      const [held] = await t.sql.users!`select count(*)::int as n from user_roles where user_id = ${streamer.id} and role = 'partner'`
      expect(await broadcasterType(streamer.id)).toBe(held!.n === 1 ? 'partner' : '')
    }
  })

  test('admin:grant of an unknown login fails with a clear message', async () => {
    const grant = adminGrant('no_such_login')
    expect(await grant.exited).toBe(1)
    expect(await new Response(grant.stderr).text()).toContain('no user with login "no_such_login"')
  })
})
