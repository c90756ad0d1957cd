import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createTestPlatform, type TestPlatform } from '../../platform/testing/harness.ts'
import { users } from './index.ts'
import { registerAccount, type SignedIn } from './test-accounts.ts'

let t: TestPlatform
let me: SignedIn
beforeAll(async () => {
  t = await createTestPlatform([users])
  me = await registerAccount(t, 'settings_user')
})
afterAll(() => t.close())

const patch = (json: unknown) => t.request('/api/users/me/settings', { method: 'PATCH', json, token: me.accessToken })
type SettingsBody = { data: { chat_color: string | null; language: string; notifications: Record<string, boolean>; mature_content: boolean } }

describe('settings', () => {
  test('start with defaults and change only what is given', async () => {
    const initial = (await (await t.request('/api/users/me/settings', { token: me.accessToken })).json()) as SettingsBody
    expect(initial.data).toEqual({
      chat_color: null,
      language: 'en',
      notifications: { live: true, email: true, whispers: true },
      mature_content: false,
    })
    const changed = (await (await patch({ chat_color: '#9146ff', notifications: { email: false } })).json()) as SettingsBody
    expect(changed.data).toEqual({
      chat_color: '#9146FF',
      language: 'en',
      notifications: { live: true, email: false, whispers: true },
      mature_content: false,
    })
    const [row] = await t.sql.users!`select s.updated_at > u.created_at as touched from user_settings s join users u on u.id = s.user_id where u.id = ${me.id}`
    expect(row!.touched).toBe(true)
  })

  test('bad values and unknown fields are 400s that change nothing', async () => {
    for (const body of [{ chat_color: 'red' }, { language: 'English' }, { theme: 'dark' }, { notifications: { sms: true } }, { mature_content: 'yes' }]) {
      const res = await patch(body)
      expect(res.status).toBe(400)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
    }
    const now = (await (await t.request('/api/users/me/settings', { token: me.accessToken })).json()) as SettingsBody
    expect(now.data.chat_color).toBe('#9146FF')
  })

  test('an empty change is a no-op, not an error', async () => {
    const res = await patch({})
    expect(res.status).toBe(200)
    expect(((await res.json()) as SettingsBody).data.chat_color).toBe('#9146FF')
  })

  test('need a token', async () => {
    expect((await t.request('/api/users/me/settings')).status).toBe(401)
  })
})
