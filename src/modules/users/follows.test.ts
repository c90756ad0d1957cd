import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createTestPlatform, type TestPlatform } from '../../platform/testing/harness.ts'
import { users } from './index.ts'
import { registerAccount, type SignedIn } from './test-accounts.ts'

let t: TestPlatform
let streamer: SignedIn
let fans: SignedIn[]
beforeAll(async () => {
  t = await createTestPlatform([users], { AUTH_ATTEMPTS_PER_MINUTE: '1000' })
  streamer = await registerAccount(t, 'big_streamer')
  fans = await Promise.all([1, 2, 3, 4, 5].map((n) => registerAccount(t, `fan_number_${n}`)))
})
afterAll(() => t.close())

const follow = (who: SignedIn, id: string, method = 'PUT') => t.request(`/api/users/${id}/follow`, { method, token: who.accessToken })

type FollowerPage = { total: number; data: { user_id: string; user_login: string; followed_at: string }[]; pagination: { cursor?: string } }

describe('follows', () => {
  test('following is idempotent and shows in both lists', async () => {
    for (const fan of fans) expect((await follow(fan, streamer.id)).status).toBe(204)
    expect((await follow(fans[0]!, streamer.id)).status).toBe(204)
    const [count] = await t.sql.users!`select count(*)::int as n from followers where followed_id = ${streamer.id}`
    expect(count!.n).toBe(5)

    const following = await t.request(`/api/users/${fans[0]!.id}/following`)
    const body = (await following.json()) as { total: number; data: { broadcaster_login: string; followed_at: string }[] }
    expect(body.total).toBe(1)
    expect(body.data[0]!.broadcaster_login).toBe('big_streamer')
    expect(Date.parse(body.data[0]!.followed_at)).toBeGreaterThan(Date.now() - 60_000)
  })

  test('followers page newest first with cursors, no row skipped or repeated', async () => {
    const seen: string[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      const res = await t.request(`/api/users/${streamer.id}/followers?first=2${cursor ? `&after=${cursor}` : ''}`)
      expect(res.status).toBe(200)
      const page = (await res.json()) as FollowerPage
      expect(page.total).toBe(5)
      seen.push(...page.data.map((f) => f.user_login))
      cursor = page.pagination.cursor
      pages++
    } while (cursor)
    expect(pages).toBe(3)
    expect(new Set(seen).size).toBe(5)
    expect(seen.sort()).toEqual(fans.map((f) => f.login).sort())

    const all = (await (await t.request(`/api/users/${streamer.id}/followers?first=100`)).json()) as FollowerPage
    const times = all.data.map((f) => Date.parse(f.followed_at))
    expect([...times].sort((a, b) => b - a)).toEqual(times)
  })

  test('you cannot follow yourself, nor a user who does not exist', async () => {
    expect((await follow(streamer, streamer.id)).status).toBe(400)
    expect((await follow(streamer, '987654321')).status).toBe(404)
    expect((await follow(streamer, 'not-an-id')).status).toBe(400)
  })

  test('unfollowing is idempotent', async () => {
    expect((await follow(fans[4]!, streamer.id, 'DELETE')).status).toBe(204)
    expect((await follow(fans[4]!, streamer.id, 'DELETE')).status).toBe(204)
    const page = (await (await t.request(`/api/users/${streamer.id}/followers`)).json()) as FollowerPage
    expect(page.total).toBe(4)
    expect(page.data.map((f) => f.user_login)).not.toContain(fans[4]!.login)
  })

  test('bad pages are 400s; an unknown user is a 404; following needs a token', async () => {
    expect((await t.request(`/api/users/${streamer.id}/followers?first=0`)).status).toBe(400)
    expect((await t.request(`/api/users/${streamer.id}/followers?first=101`)).status).toBe(400)
    expect((await t.request(`/api/users/${streamer.id}/followers?after=garbage`)).status).toBe(400)
    expect((await t.request('/api/users/987654321/followers')).status).toBe(404)
    expect((await t.request(`/api/users/${streamer.id}/follow`, { method: 'PUT' })).status).toBe(401)
  })
})
