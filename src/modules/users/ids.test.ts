import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { publishedEvents } from '../../platform/testing/events.ts'
import { createTestPlatform, type TestPlatform } from '../../platform/testing/harness.ts'
import { accessTokenFor } from '../../platform/testing/tokens.ts'
import { users } from './index.ts'
import { registerAccount, type SignedIn } from './test-accounts.ts'

// 2^53 + 1: the first integer a JavaScript number cannot hold (Number() makes it …992).
const BEYOND_2_53 = '9007199254740993'

let t: TestPlatform
let first: SignedIn
let second: SignedIn
beforeAll(async () => {
  t = await createTestPlatform([users], { AUTH_ATTEMPTS_PER_MINUTE: '1000' })
  await t.sql.users!.unsafe(`alter table users alter column id restart with ${BEYOND_2_53}`)
  first = await registerAccount(t, 'huge_id_one')
  second = await registerAccount(t, 'huge_id_two')
})
afterAll(() => t.close())

type Body<T> = { data: T }

describe('user ids above 2^53 stay exact end to end', () => {
  test('registration, the token, the profile and the lookup carry the database id', async () => {
    expect(first.id).toBe(BEYOND_2_53)
    expect(second.id).toBe('9007199254740994')
    const sub = JSON.parse(Buffer.from(first.accessToken.split('.')[1] ?? '', 'base64url').toString()).sub
    expect(sub).toBe(BEYOND_2_53)
    const me = (await (await t.request('/api/users/me', { token: first.accessToken })).json()) as Body<{ id: string }>
    expect(me.data.id).toBe(BEYOND_2_53)
    const byId = (await (await t.request(`/api/users/${BEYOND_2_53}`)).json()) as Body<{ login: string }>
    expect(byId.data.login).toBe('huge_id_one')
    const lookup = (await (await t.request(`/api/users?id=${second.id}`)).json()) as Body<{ id: string }[]>
    expect(lookup.data.map((u) => u.id)).toEqual([second.id])
  })

  test('follows, their lists and cursors, and the events', async () => {
    expect((await t.request(`/api/users/${second.id}/follow`, { method: 'PUT', token: first.accessToken })).status).toBe(204)
    const followers = (await (await t.request(`/api/users/${second.id}/followers?first=1`)).json()) as {
      data: { user_id: string }[]
      pagination: { cursor?: string }
    }
    expect(followers.data.map((f) => f.user_id)).toEqual([BEYOND_2_53])
    const [event] = await publishedEvents(t, users, { type: 'users.followed.v1' })
    expect(event?.payload).toMatchObject({ follower_id: BEYOND_2_53, followed_id: second.id })
    const [row] = await t.sql.users!`select follower_id::text from followers`
    expect(row?.follower_id).toBe(BEYOND_2_53)
  })

  test('roles granted by an admin reach the exact user', async () => {
    const admin = await accessTokenFor(t, second.id, ['admin'])
    expect((await t.request(`/api/users/${BEYOND_2_53}/roles/partner`, { method: 'PUT', token: admin })).status).toBe(204)
    const [row] = await t.sql.users!`select user_id::text, granted_by::text from user_roles`
    expect(row).toEqual({ user_id: BEYOND_2_53, granted_by: second.id })
  })

  test('past bigint is a 400, not a failed cast', async () => {
    expect((await t.request('/api/users/9223372036854775807')).status).toBe(404)
    expect((await t.request('/api/users/9223372036854775808')).status).toBe(400)
    expect((await t.request('/api/users?id=99999999999999999999')).status).toBe(400)
  })
})
