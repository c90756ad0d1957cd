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

const adminGrant = (login: string, ...more: string[]) =>
  adminGrantRun([login, ...more], { USERS_DATABASE_URL: t.databaseUrls.users! })

/** The real script, as `bun run admin:grant` runs it, on the test's database unless `env` says another. */
const adminGrantRun = (args: string[], env: Record<string, string>) =>
  Bun.spawn(['bun', resolve(import.meta.dir, '../../../scripts/admin-grant.ts'), ...args], {
    env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  })

/** What a run of the script said, and how it ended. */
const outcome = async (run: ReturnType<typeof adminGrantRun>) => ({
  code: await run.exited,
  stdout: await new Response(run.stdout).text(),
  stderr: await new Response(run.stderr).text(),
})

/** A refusal is one line on stderr and nothing on stdout. */
const expectRefusal = (said: { stdout: string; stderr: string }) => {
  expect(said.stdout).toBe('')
  expect(said.stderr.trimEnd().split('\n')).toHaveLength(1)
  expect(said.stderr).toStartWith('admin:grant: ')
  return said.stderr.trimEnd()
}

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
    const said = await outcome(adminGrant('no_such_login'))
    expect(said.code).toBe(1)
    expect(expectRefusal(said)).toBe('admin:grant: no user with login "no_such_login"')
  })

  test('admin:grant says in one line that a suspended account is not made an admin, and grants nothing', async () => {
    const suspended = await registerAccount(t, 'grant_suspended')
    await t.sql.users!`update users set suspended_at = now(), suspension_reason = 'Spam' where id = ${suspended.id}`
    const said = await outcome(adminGrant('grant_suspended'))
    expect(said.code).toBe(1)
    expect(expectRefusal(said)).toBe(
      'admin:grant: "grant_suspended" is not made an admin: This account is suspended: reinstate it before making it an admin',
    )
    expect((await t.sql.users!`select role from user_roles where user_id = ${suspended.id}`).length).toBe(0)

    // Reinstated, the same command makes it an admin, in one line on stdout.
    await t.sql.users!`update users set suspended_at = null, suspension_reason = null where id = ${suspended.id}`
    const granted = await outcome(adminGrant('grant_suspended'))
    expect(granted).toEqual({
      code: 0,
      stdout: `admin:grant: grant_suspended (id ${suspended.id}) is an admin; their next login or refresh carries the role\n`,
      stderr: '',
    })
  })

  test('admin:grant refuses a wrong command line with its usage, in one line', async () => {
    const usage = 'admin:grant: usage: bun run admin:grant <login>'
    for (const args of [[], [''], ['the_boss', 'a_creator']]) {
      const said = await outcome(adminGrantRun(args, { USERS_DATABASE_URL: t.databaseUrls.users! }))
      expect(said.code).toBe(2)
      expect(expectRefusal(said)).toBe(usage)
    }
  })

  test('admin:grant names, in one line, the database it cannot reach, never its password', async () => {
    // Port 1: nothing listens there.
    const said = await outcome(adminGrantRun(['the_boss'], { USERS_DATABASE_URL: 'postgres://postgres:hunter2@127.0.0.1:1/users_db' }))
    expect(said.code).toBe(1)
    const line = expectRefusal(said)
    expect(line).toStartWith('admin:grant: the users database at 127.0.0.1:1/users_db cannot be used: ')
    expect(line).toContain('ECONNREFUSED')
    expect(line).not.toContain('hunter2')
  })
})
