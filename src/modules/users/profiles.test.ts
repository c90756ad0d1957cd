import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createTestPlatform, type TestPlatform } from '../../platform/testing/harness.ts'
import { users } from './index.ts'

let t: TestPlatform
beforeAll(async () => {
  t = await createTestPlatform([users])
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
