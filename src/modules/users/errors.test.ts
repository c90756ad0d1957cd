import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { encodeCursor } from '../../platform/http/pagination.ts'
import { problemType } from '../../platform/http/problem.ts'
import { createTestPlatform, type TestPlatform } from '../../platform/testing/harness.ts'
import { accessTokenFor } from '../../platform/testing/tokens.ts'
import { USERS_PROBLEMS } from './errors.ts'
import { users } from './index.ts'
import { registerAccount, type SignedIn } from './test-accounts.ts'

let t: TestPlatform
let me: SignedIn
beforeAll(async () => {
  t = await createTestPlatform([users], { AUTH_ATTEMPTS_PER_MINUTE: '1000' })
  me = await registerAccount(t, 'error_codes')
})
afterAll(() => t.close())

type Code = keyof typeof USERS_PROBLEMS

/** The response is the problem of `code`: its type names the code, its status is the table's. */
async function expectCode(res: Response, code: Code) {
  expect({ status: res.status, type: ((await res.json()) as { type: string }).type }).toEqual({
    status: USERS_PROBLEMS[code],
    type: problemType(code),
  })
}

const post = (path: string, json: unknown) => t.request(path, { method: 'POST', json })

describe('users answers each domain error with its code', () => {
  test('follow.self and user.not_found', async () => {
    await expectCode(await t.request(`/api/users/${me.id}/follow`, { method: 'PUT', token: me.accessToken }), 'follow.self')
    await expectCode(await t.request('/api/users/987654321/follow', { method: 'PUT', token: me.accessToken }), 'user.not_found')
    await expectCode(await t.request('/api/users/987654321'), 'user.not_found')
  })

  test('login.taken lists the field; login.invalid for a wrong password', async () => {
    const taken = await post('/api/auth/register', { login: 'ERROR_CODES', email: 'e@example.test', password: 'long enough' })
    expect(taken.headers.get('content-type')).toBe('application/problem+json')
    const body = (await taken.clone().json()) as { errors: unknown }
    expect(body.errors).toEqual([{ field: 'login', message: 'already taken' }])
    await expectCode(taken, 'login.taken')
    await expectCode(await post('/api/auth/login', { login: 'error_codes', password: 'not the password' }), 'login.invalid')
  })

  test('refresh.reused, then refresh.invalid for a token never issued', async () => {
    const account = await registerAccount(t, 'reusing_refresh')
    const next = await post('/api/auth/refresh', { refresh_token: account.refreshToken })
    expect(next.status).toBe(200)
    // The successor used: the first token shown again is no retry.
    const successor = ((await next.json()) as { data: { refresh_token: string } }).data.refresh_token
    expect((await post('/api/auth/refresh', { refresh_token: successor })).status).toBe(200)
    await expectCode(await post('/api/auth/refresh', { refresh_token: account.refreshToken }), 'refresh.reused')
    await expectCode(await post('/api/auth/refresh', { refresh_token: 'ort_never_issued' }), 'refresh.invalid')
  })

  test("account.gone for a valid token of a user that does not exist; session.not_found for another's session", async () => {
    const ghost = await accessTokenFor(t, '987654321')
    await expectCode(await t.request('/api/users/me', { token: ghost }), 'account.gone')
    await expectCode(await t.request('/api/users/me/settings', { token: ghost }), 'account.gone')
    const session = `/api/auth/sessions/${crypto.randomUUID()}`
    await expectCode(await t.request(session, { method: 'DELETE', token: me.accessToken }), 'session.not_found')
  })

  test('an admin token from accessTokenFor grants roles; an unknown user is user.not_found', async () => {
    const admin = await accessTokenFor(t, me.id, ['admin'])
    expect((await t.request(`/api/users/${me.id}/roles/staff`, { method: 'PUT', token: admin })).status).toBe(204)
    await expectCode(await t.request('/api/users/987654321/roles/staff', { method: 'PUT', token: admin }), 'user.not_found')
    const plain = await accessTokenFor(t, me.id)
    expect((await t.request(`/api/users/${me.id}/roles/staff`, { method: 'PUT', token: plain })).status).toBe(403)
  })

  test('a forged follow cursor is a 400, never a failed cast', async () => {
    for (const key of [['2026-02-30 10:00:00+00', '1'], ['not a time', '1'], ['2026-01-01 10:00:00+00', 'x'], ['2026-01-01 10:00:00+00', '99999999999999999999']]) {
      const res = await t.request(`/api/users/${me.id}/followers?after=${encodeCursor(key)}`)
      expect(res.status).toBe(400)
    }
  })
})
