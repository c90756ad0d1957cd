import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createTestPlatform, type TestPlatform } from '../../platform/testing/harness.ts'
import { users } from './index.ts'
import { registerAccount } from './test-accounts.ts'

let t: TestPlatform
beforeAll(async () => {
  t = await createTestPlatform([users], { AUTH_ATTEMPTS_PER_MINUTE: '1000' })
})
afterAll(() => t.close())

describe('GET /api/users/:id', () => {
  test('returns the user with Twitch field names', async () => {
    const [row] = await t.sql.users!`insert into users (login, display_name, email, password_hash) values ('ninja_one', 'Ninja_One', 'n@x.test', 'x') returning id`
    const res = await t.request(`/api/users/${row!.id}`)
    expect(res.status).toBe(200)
    const body = (await res.json()) as { data: Record<string, unknown> }
    expect(body.data).toMatchObject({ id: String(row!.id), login: 'ninja_one', display_name: 'Ninja_One', broadcaster_type: '' })
  })

  test('an unknown id is a 404 problem', async () => {
    const res = await t.request('/api/users/999999')
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
  })
})

describe('profiles', () => {
  test('PATCH /api/users/me changes only the fields given; bad ones are refused whole', async () => {
    const me = await registerAccount(t, 'profile_owner')
    const patch = (json: unknown) => t.request('/api/users/me', { method: 'PATCH', json, token: me.accessToken })
    const ok = await patch({ display_name: 'Profile_Owner', description: 'I stream speedruns' })
    expect(ok.status).toBe(200)
    expect(((await ok.json()) as { data: Record<string, string> }).data).toMatchObject({
      display_name: 'Profile_Owner',
      description: 'I stream speedruns',
      profile_image_url: '',
    })
    for (const bad of [
      { description: 'x'.repeat(301) },
      { profile_image_url: 'javascript:alert(1)' },
      { login: 'renamed' },
      { display_name: 'ok', description: 7 },
    ]) {
      const res = await patch(bad)
      expect(res.status).toBe(400)
    }
    const [row] = await t.sql.users!`select display_name, description, login from users where id = ${me.id}`
    expect(row).toEqual({ display_name: 'Profile_Owner', description: 'I stream speedruns', login: 'profile_owner' })
  })

  test('GET /api/users looks up by login and id, up to 100', async () => {
    const a = await registerAccount(t, 'lookup_a')
    const b = await registerAccount(t, 'lookup_b')
    const res = await t.request(`/api/users?login=LOOKUP_A&id=${b.id}&login=nobody_at_all`)
    expect(res.status).toBe(200)
    const logins = ((await res.json()) as { data: { login: string }[] }).data.map((u) => u.login).sort()
    expect(logins).toEqual([a.login, b.login])
    const tooMany = Array.from({ length: 101 }, (_, i) => `login=user_${i}`).join('&')
    expect((await t.request(`/api/users?${tooMany}`)).status).toBe(400)
    expect((await t.request('/api/users')).status).toBe(400)
    expect((await t.request('/api/users?id=abc')).status).toBe(400)
  })
})
