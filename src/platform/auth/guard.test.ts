import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose'
import { probeModule } from '../testing/fixtures/probe-module.ts'
import { createTestPlatform, type TestPlatform } from '../testing/harness.ts'
import { createAccessTokenSigner, type AccessTokenSigner, type Role } from './tokens.ts'

let t: TestPlatform
let sign: AccessTokenSigner
beforeAll(async () => {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  const keys = { JWT_PRIVATE_KEY: await exportPKCS8(pair.privateKey), JWT_PUBLIC_KEY: await exportSPKI(pair.publicKey) }
  t = await createTestPlatform([probeModule], keys)
  sign = await createAccessTokenSigner(keys.JWT_PRIVATE_KEY, { issuer: 'ondes', audience: 'ondes', ttlSeconds: 60 })
})
afterAll(() => t.close())

const tokenWith = (...roles: Role[]) => sign({ userId: '7', login: 'seven', roles, sessionId: 's-7' })

async function expectProblem(res: Response, status: number): Promise<void> {
  expect(res.status).toBe(status)
  expect(res.headers.get('content-type')).toBe('application/problem+json')
  expect(((await res.json()) as { status: number }).status).toBe(status)
}

describe('requireAuth and requireRole on a module route', () => {
  test('no token is a 401 asking for a bearer token', async () => {
    const res = await t.request('/api/users/-/admin')
    expect(res.headers.get('www-authenticate')).toBe('Bearer')
    await expectProblem(res, 401)
  })

  test('a malformed Authorization header is a 401', async () => {
    for (const authorization of ['Bearer', 'Bearer not-a-jwt', `Basic ${btoa('a:b')}`, `Bearer ${await tokenWith('admin')} extra`]) {
      await expectProblem(await t.request('/api/users/-/admin', { headers: { authorization } }), 401)
    }
  })

  test('a valid token without the role is a 403', async () => {
    await expectProblem(await t.request('/api/users/-/admin', { token: await tokenWith() }), 403)
    await expectProblem(await t.request('/api/users/-/admin', { token: await tokenWith('partner', 'staff') }), 403)
  })

  test('a valid token with the role passes, and the handler sees its claims', async () => {
    const res = await t.request('/api/users/-/admin', { token: await tokenWith('partner', 'admin') })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ user_id: '7' })
    // The scheme is case-insensitive.
    const lower = await t.request('/api/users/-/admin', { headers: { authorization: `bearer ${await tokenWith('admin')}` } })
    expect(lower.status).toBe(200)
  })

  test('a token from another key pair is a 401 even with the role', async () => {
    const other = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
    const forge = await createAccessTokenSigner(await exportPKCS8(other.privateKey), { issuer: 'ondes', audience: 'ondes', ttlSeconds: 60 })
    const token = await forge({ userId: '7', login: 'seven', roles: ['admin'], sessionId: 's-7' })
    await expectProblem(await t.request('/api/users/-/admin', { token }), 401)
  })
})
