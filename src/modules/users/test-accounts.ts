import type { TestPlatform } from '../../platform/testing/harness.ts'

export type SignedIn = { id: string; login: string; accessToken: string; refreshToken: string }

type TokenBody = { data: { access_token: string; refresh_token: string; user_id: string; login: string } }

/** Registers `login` through the API and returns its tokens; fails loudly if registration does. */
export async function registerAccount(t: TestPlatform, login: string, password = 'correct horse battery'): Promise<SignedIn> {
  const res = await t.request('/api/auth/register', {
    method: 'POST',
    json: { login, email: `${login}@example.test`, password },
  })
  if (res.status !== 201) throw new Error(`register ${login}: ${res.status} ${await res.text()}`)
  const { data } = (await res.json()) as TokenBody
  return { id: data.user_id, login: data.login, accessToken: data.access_token, refreshToken: data.refresh_token }
}
