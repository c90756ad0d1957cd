import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { publishedEvents } from '../../platform/testing/events.ts'
import { accessTokenFor } from '../../platform/testing/tokens.ts'
import { createTestPlatform, type TestPlatform } from '../../platform/testing/harness.ts'
import { users } from './index.ts'
import { registerAccount } from './test-accounts.ts'

let t: TestPlatform
beforeAll(async () => {
  t = await createTestPlatform([users], { AUTH_ATTEMPTS_PER_MINUTE: '1000' })
})
afterAll(() => t.close())

type OutboxRow = { type: string; payload: Record<string, unknown> }
/** Events written since `since` (a count of earlier ones), as `publishedEvents` reads the outbox. */
const eventsSince = async (since: number): Promise<OutboxRow[]> =>
  (await publishedEvents(t, users)).slice(since).map(({ type, payload }) => ({ type, payload: payload as Record<string, unknown> }))
const eventCount = async (): Promise<number> => (await publishedEvents(t, users)).length

describe('users events', () => {
  test('each change writes its event in the same transaction; a no-op writes none', async () => {
    const start = await eventCount()
    const alice = await registerAccount(t, 'event_alice')
    const bob = await registerAccount(t, 'event_bob')
    const put = (path: string, method = 'PUT') => t.request(path, { method, token: alice.accessToken })

    expect((await put(`/api/users/${bob.id}/follow`)).status).toBe(204)
    expect((await put(`/api/users/${bob.id}/follow`)).status).toBe(204) // already following: no event
    expect((await put(`/api/users/${bob.id}/follow`, 'DELETE')).status).toBe(204)
    expect((await put(`/api/users/${bob.id}/follow`, 'DELETE')).status).toBe(204) // not following: no event
    const patched = await t.request('/api/users/me', {
      method: 'PATCH',
      json: { display_name: 'Event_Alice', profile_image_url: 'https://cdn.example/a.png' },
      token: alice.accessToken,
    })
    expect(patched.status).toBe(200)
    expect((await t.request('/api/users/me', { method: 'PATCH', json: { description: 7 }, token: alice.accessToken })).status).toBe(400)

    const events = await eventsSince(start)
    expect(events.map((e) => e.type)).toEqual([
      'users.registered.v1',
      'users.registered.v1',
      'users.followed.v1',
      'users.unfollowed.v1',
      'users.profile_updated.v1',
    ])
    expect(events[0]!.payload).toMatchObject({ user_id: alice.id, login: 'event_alice', display_name: 'event_alice', version: 1 })
    expect(events[2]!.payload).toMatchObject({ follower_id: alice.id, followed_id: bob.id, version: 1 })
    expect(events[3]!.payload).toEqual({ follower_id: alice.id, followed_id: bob.id, version: 2 })
    expect(Date.parse(String(events[2]!.payload.followed_at))).toBeGreaterThan(0)
    expect(events[4]!.payload).toEqual({
      user_id: alice.id,
      login: 'event_alice',
      display_name: 'Event_Alice',
      profile_image_url: 'https://cdn.example/a.png',
      offline_image_url: '',
      version: 2,
    })
  })

  test('concurrent profile edits and role changes of one user get distinct versions; the highest tells the final row', async () => {
    const star = await registerAccount(t, 'version_star')
    const admin = await registerAccount(t, 'version_admin')
    const adminToken = await accessTokenFor(t, admin.id, ['admin'])
    const start = await eventCount()
    // Display names differ from the login only in capitalisation: 12 distinct ones.
    const names = Array.from({ length: 12 }, (_, i) =>
      [...star.login].map((char, at) => (at < 4 && ((i + 1) >> at) & 1 ? char.toUpperCase() : char)).join(''),
    )
    const roles = ['staff', 'partner'] as const
    await Promise.all([
      ...names.map((display_name) => t.request('/api/users/me', { method: 'PATCH', json: { display_name }, token: star.accessToken })),
      ...roles.flatMap((role) => [
        t.request(`/api/users/${star.id}/roles/${role}`, { method: 'PUT', token: adminToken }),
        t.request(`/api/users/${star.id}/roles/${role}`, { method: 'DELETE', token: adminToken }),
      ]),
    ])
    const events = (await eventsSince(start)).filter((e) => e.payload.user_id === star.id)
    const highest = (type: string) =>
      events.filter((e) => e.type === type).reduce((a, b) => (Number(a.payload.version) > Number(b.payload.version) ? a : b))

    const profiles = events.filter((e) => e.type === 'users.profile_updated.v1').map((e) => Number(e.payload.version))
    expect(profiles).toHaveLength(names.length)
    expect(new Set(profiles).size).toBe(names.length)
    const [row] = await t.sql.users!`select display_name, profile_version from users where id = ${star.id}`
    expect(highest('users.profile_updated.v1').payload.display_name).toBe(row!.display_name)
    expect(Number(highest('users.profile_updated.v1').payload.version)).toBe(row!.profile_version)

    const roleEvents = events.filter((e) => e.type === 'users.role_granted.v1' || e.type === 'users.role_revoked.v1')
    const roleVersions = roleEvents.map((e) => Number(e.payload.version))
    expect(new Set(roleVersions).size).toBe(roleVersions.length)
    const held = await t.sql.users!<{ role: string }[]>`select role from user_roles where user_id = ${star.id}`
    for (const role of roles) {
      const ofRole = roleEvents.filter((e) => e.payload.role === role)
      const last = ofRole.reduce((a, b) => (Number(a.payload.version) > Number(b.payload.version) ? a : b), ofRole[0]!)
      const heldNow = held.some((h) => h.role === role)
      if (ofRole.length === 0) expect(heldNow).toBe(false)
      else expect(heldNow).toBe(last.type === 'users.role_granted.v1')
    }
  }, 30_000)

  test('concurrent follow changes of one follower get distinct versions in commit order', async () => {
    const fan = await registerAccount(t, 'version_fan')
    const idols = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => registerAccount(t, `version_idol_${n}`)))
    const start = await eventCount()
    await Promise.all(
      idols.flatMap((idol) => [
        t.request(`/api/users/${idol.id}/follow`, { method: 'PUT', token: fan.accessToken }),
        t.request(`/api/users/${idol.id}/follow`, { method: 'DELETE', token: fan.accessToken }),
      ]),
    )
    const events = (await eventsSince(start)).filter((e) => e.payload.follower_id === fan.id)
    const versions = events.map((e) => Number(e.payload.version))
    expect(new Set(versions).size).toBe(versions.length)
    // Per pair, the event with the highest version tells the state the database ended in.
    for (const idol of idols) {
      const ofPair = events.filter((e) => e.payload.followed_id === idol.id)
      const last = ofPair.reduce((a, b) => (Number(a.payload.version) > Number(b.payload.version) ? a : b), ofPair[0]!)
      const [row] = await t.sql.users!`select count(*)::int as n from followers where follower_id = ${fan.id} and followed_id = ${idol.id}`
      if (ofPair.length === 0) expect(row!.n).toBe(0)
      else expect(row!.n).toBe(last.type === 'users.followed.v1' ? 1 : 0)
    }
  })

  test('role grants and revocations name who did them', async () => {
    const admin = await registerAccount(t, 'event_admin')
    const target = await registerAccount(t, 'event_target')
    await t.sql.users!`insert into user_roles (user_id, role) values (${admin.id}, 'admin')`
    const login = await t.request('/api/auth/login', {
      method: 'POST',
      json: { login: 'event_admin', password: 'correct horse battery' },
    })
    const token = ((await login.json()) as { data: { access_token: string } }).data.access_token
    const start = await eventCount()
    expect((await t.request(`/api/users/${target.id}/roles/staff`, { method: 'PUT', token })).status).toBe(204)
    expect((await t.request(`/api/users/${target.id}/roles/staff`, { method: 'PUT', token })).status).toBe(204)
    expect((await t.request(`/api/users/${target.id}/roles/staff`, { method: 'DELETE', token })).status).toBe(204)
    const events = await eventsSince(start)
    expect(events).toEqual([
      { type: 'users.role_granted.v1', payload: { user_id: target.id, role: 'staff', by_user_id: admin.id, version: 2 } },
      { type: 'users.role_revoked.v1', payload: { user_id: target.id, role: 'staff', by_user_id: admin.id, version: 3 } },
    ])
  })

  test('the relay publishes what the outbox holds', async () => {
    await registerAccount(t, 'event_relayed')
    for (let i = 0; i < 50; i++) {
      const [row] = await t.sql.users!`select count(*)::int as n from outbox where published_at is null`
      if (row!.n === 0) break
      await Bun.sleep(100)
    }
    const [pending] = await t.sql.users!`select count(*)::int as n from outbox where published_at is null`
    expect(pending!.n).toBe(0)
  })
})
