import { beforeAll, describe, expect, test } from 'bun:test'
import { exportPKCS8, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey } from 'jose'
import { DomainError } from '../errors.ts'
import {
  createAccessTokenSigner,
  createAccessTokenVerifier,
  type AccessClaims,
  type AccessTokenVerifier,
} from './tokens.ts'

const settings = { issuer: 'ondes', audience: 'ondes' }
const claims: AccessClaims = { userId: '42', login: 'ninja', roles: ['partner'], sessionId: 's-1' }
const payload = { sub: '42', login: 'ninja', roles: ['partner'], sid: 's-1' }

let privateKey: CryptoKey
let privatePem: string
let publicPem: string
let verify: AccessTokenVerifier

async function ed25519() {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  return { ...pair, privatePem: await exportPKCS8(pair.privateKey), publicPem: await exportSPKI(pair.publicKey) }
}

beforeAll(async () => {
  ;({ privateKey, privatePem, publicPem } = await ed25519())
  verify = await createAccessTokenVerifier(publicPem, settings)
})

/** A token signed with our key, with `edit` applied to an otherwise valid one. */
const signed = (edit: (jwt: SignJWT) => SignJWT = (jwt) => jwt) =>
  edit(
    new SignJWT(payload)
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer('ondes')
      .setAudience('ondes')
      .setIssuedAt()
      .setExpirationTime('1m'),
  ).sign(privateKey)

async function refusal(token: string): Promise<DomainError> {
  const error = await verify(token).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(DomainError)
  const refused = error as DomainError
  expect(['token.invalid', 'token.expired']).toContain(refused.code)
  return refused
}

describe('access tokens', () => {
  test('a token from the signer is accepted with its claims', async () => {
    const sign = await createAccessTokenSigner(privatePem, { ...settings, ttlSeconds: 60 })
    expect(await verify(await sign(claims))).toEqual(claims)
  })

  test('roles the platform does not know are dropped', async () => {
    const token = await new SignJWT({ ...payload, roles: ['admin', 'superuser'] })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer('ondes')
      .setAudience('ondes')
      .setExpirationTime('1m')
      .sign(privateKey)
    expect((await verify(token)).roles).toEqual(['admin'])
  })

  test('HS256 signed with the public key as the secret is refused', async () => {
    const token = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('ondes')
      .setAudience('ondes')
      .setExpirationTime('1m')
      .sign(new TextEncoder().encode(publicPem))
    await refusal(token)
  })

  test('an unsigned token (alg none) is refused', async () => {
    const token = new UnsecuredJWT(payload).setIssuer('ondes').setAudience('ondes').setExpirationTime('1m').encode()
    expect(token.split('.')[2]).toBe('')
    await refusal(token)
    // The same, dressed up with a signature part copied from a real token.
    const real = await signed()
    await refusal(`${token}${real.split('.')[2]}`)
  })

  test('a token signed with another Ed25519 key is refused', async () => {
    const other = await ed25519()
    const token = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer('ondes')
      .setAudience('ondes')
      .setExpirationTime('1m')
      .sign(other.privateKey)
    await refusal(token)
  })

  test('a tampered payload is refused', async () => {
    const [header, , signature] = (await signed()).split('.')
    const forged = Buffer.from(JSON.stringify({ ...payload, roles: ['admin'], iss: 'ondes', aud: 'ondes', exp: 4e9 })).toString('base64url')
    await refusal(`${header}.${forged}.${signature}`)
  })

  test('the wrong issuer or audience is refused', async () => {
    await refusal(await signed((jwt) => jwt.setIssuer('someone-else')))
    await refusal(await signed((jwt) => jwt.setAudience('another-app')))
  })

  test('an expired token is refused and says so', async () => {
    const refused = await refusal(await signed((jwt) => jwt.setExpirationTime(Math.floor(Date.now() / 1000) - 60)))
    expect(refused.code).toBe('token.expired')
  })

  test('a token without exp, sub or sid is refused', async () => {
    const { sub, sid, ...rest } = payload
    const sign = (claims: Record<string, unknown>, exp = true) => {
      const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA' }).setIssuer('ondes').setAudience('ondes')
      return (exp ? jwt.setExpirationTime('1m') : jwt).sign(privateKey)
    }
    expect(await verify(await sign(payload))).toEqual(claims)
    await refusal(await sign(payload, false))
    await refusal(await sign({ ...rest, sid }))
    await refusal(await sign({ ...rest, sub }))
  })

  test('garbage is refused', async () => {
    for (const token of ['', 'a.b.c', 'not a token']) await refusal(token)
  })
})
