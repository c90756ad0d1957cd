import { beforeAll, describe, expect, test } from 'bun:test'
import { exportPKCS8, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey } from 'jose'
import { DomainError } from '../errors.ts'
import { createRevocationList } from './revocations.ts'
import {
  createAccessTokenSigner,
  createAccessTokenVerifier,
  MAX_ACCESS_TOKEN_AGE_SECONDS,
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

/** A JWT as users signs one, with `claims` for a payload, before its lifetime is set. */
const accessJwt = (claims: Record<string, unknown> = payload, header: { typ?: string } = { typ: 'at+jwt' }) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', ...header }).setIssuer('ondes').setAudience('ondes').setIssuedAt()

/** A token signed with our key, with `edit` applied to an otherwise valid one. */
const signed = (edit: (jwt: SignJWT) => SignJWT = (jwt) => jwt) => edit(accessJwt().setExpirationTime('1m')).sign(privateKey)

const nowSeconds = () => Math.floor(Date.now() / 1000)

async function refusal(token: string): Promise<DomainError> {
  const error = await verify(token).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(DomainError)
  const refused = error as DomainError
  expect(['token.invalid', 'token.expired', 'token.revoked']).toContain(refused.code)
  return refused
}

describe('access tokens', () => {
  test('a token from the signer is accepted with its claims', async () => {
    const sign = await createAccessTokenSigner(privatePem, { ...settings, ttlSeconds: 60 })
    expect(await verify(await sign(claims))).toEqual(claims)
  })

  test('roles the platform does not know are dropped', async () => {
    const token = await accessJwt({ ...payload, roles: ['admin', 'superuser'] })
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

  test('a token without exp, iat, sub or sid is refused', async () => {
    const { sub, sid, ...rest } = payload
    const sign = (claims: Record<string, unknown>, exp = true) => {
      const jwt = accessJwt(claims)
      return (exp ? jwt.setExpirationTime('1m') : jwt).sign(privateKey)
    }
    expect(await verify(await sign(payload))).toEqual(claims)
    await refusal(await sign(payload, false))
    await refusal(await sign({ ...rest, sid }))
    await refusal(await sign({ ...rest, sub }))
    // No iat: jose's setIssuedAt is the only way one gets in, so the payload is signed as is.
    const noIat = await new SignJWT({ ...payload, iss: 'ondes', aud: 'ondes', exp: nowSeconds() + 60 })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt' })
      .sign(privateKey)
    await refusal(noIat)
  })

  test('only an access token passes: the typ header must be at+jwt', async () => {
    for (const header of [{}, { typ: 'JWT' }, { typ: 'id+jwt' }, { typ: 'at+jwt+x' }]) {
      expect((await refusal(await accessJwt(payload, header).setExpirationTime('1m').sign(privateKey))).code).toBe('token.invalid')
    }
    // The media-type form is the same type (RFC 9068 §2.1).
    expect(await verify(await accessJwt(payload, { typ: 'application/at+jwt' }).setExpirationTime('1m').sign(privateKey))).toEqual(claims)
  })

  test('a token older than the maximum age is refused whatever its exp says', async () => {
    const now = nowSeconds()
    const old = await accessJwt()
      .setIssuedAt(now - MAX_ACCESS_TOKEN_AGE_SECONDS - 60)
      .setExpirationTime(now + 10 * 365 * 86_400)
      .sign(privateKey)
    expect((await refusal(old)).code).toBe('token.expired')
    // Issued in the future (a clock far off, or a forged iat to stretch the age) is no better.
    const future = await accessJwt().setIssuedAt(now + 3600).setExpirationTime(now + 7200).sign(privateKey)
    expect((await refusal(future)).code).toBe('token.invalid')
    // Just inside the age: accepted.
    const aged = await accessJwt().setIssuedAt(now - MAX_ACCESS_TOKEN_AGE_SECONDS + 60).setExpirationTime(now + 60).sign(privateKey)
    expect(await verify(aged)).toEqual(claims)
  })

  test('garbage is refused', async () => {
    for (const token of ['', 'a.b.c', 'not a token']) await refusal(token)
  })
})

describe('revocations the verifier holds', () => {
  const revocations = createRevocationList()
  let checked: AccessTokenVerifier
  beforeAll(async () => {
    checked = await createAccessTokenVerifier(publicPem, settings, revocations)
  })
  const withClaims = (extra: Record<string, unknown>) => accessJwt({ ...payload, ...extra }).setExpirationTime('1m').sign(privateKey)

  test('a token of a revoked session is token.revoked, until the revocation expires', async () => {
    const token = await withClaims({ sid: 'revoked-session' })
    expect((await checked(token)).sessionId).toBe('revoked-session')
    revocations.apply([{ kind: 'session', sessionId: 'revoked-session', until: nowSeconds() + 60 }])
    const error = await checked(token).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DomainError)
    expect((error as DomainError).code).toBe('token.revoked')
    // Another session of the same user is untouched; the plain verifier knows nothing of it.
    expect((await checked(await withClaims({ sid: 'other-session' }))).sessionId).toBe('other-session')
    expect((await verify(token)).sessionId).toBe('revoked-session')
    // An expired revocation (its tokens are all dead anyway) no longer counts.
    revocations.apply([{ kind: 'session', sessionId: 'old-session', until: nowSeconds() - 1 }])
    expect((await checked(await withClaims({ sid: 'old-session' }))).sessionId).toBe('old-session')
  })

  test('a token minted before a roles revocation keeps only the roles still held', async () => {
    revocations.apply([{ kind: 'roles', userId: '42', version: 5, roles: ['partner'], until: nowSeconds() + 60 }])
    const older = await withClaims({ roles: ['admin', 'partner'], rv: 4 })
    expect((await checked(older)).roles).toEqual(['partner'])
    // No rv at all (a token from before rv existed): as old as can be.
    expect((await checked(await withClaims({ roles: ['admin', 'partner'] }))).roles).toEqual(['partner'])
    // Minted from the roles at or after the revocation: as signed (a role granted since included).
    expect((await checked(await withClaims({ roles: ['admin', 'partner'], rv: 6 }))).roles).toEqual(['admin', 'partner'])
    // Another user is untouched; an older revocation arriving late changes nothing.
    expect((await checked(await withClaims({ sub: '43', roles: ['admin'], rv: 1 }))).roles).toEqual(['admin'])
    revocations.apply([{ kind: 'roles', userId: '42', version: 3, roles: ['admin', 'partner'], until: nowSeconds() + 60 }])
    expect((await checked(older)).roles).toEqual(['partner'])
  })
})

describe('remembered tokens', () => {
  const revocations = createRevocationList()
  let clock = nowSeconds()
  let remembering: AccessTokenVerifier
  beforeAll(async () => {
    remembering = await createAccessTokenVerifier(publicPem, settings, revocations, () => clock)
  })
  const at = (issuedAt: number, expiresAt: number, extra: Record<string, unknown> = {}) =>
    accessJwt({ ...payload, ...extra }).setIssuedAt(issuedAt).setExpirationTime(expiresAt).sign(privateKey)
  const code = (token: string) => remembering(token).then(() => 'accepted', (error: DomainError) => error.code)

  test('a revoked session or role is refused even when its token was verified before', async () => {
    const token = await at(clock, clock + 60, { sid: 'remembered-session', roles: ['admin', 'partner'], rv: 1 })
    expect(await remembering(token)).toEqual({ ...claims, sessionId: 'remembered-session', roles: ['admin', 'partner'] })
    revocations.apply([{ kind: 'roles', userId: '42', version: 2, roles: ['partner'], until: clock + 60 }])
    expect((await remembering(token)).roles).toEqual(['partner'])
    revocations.apply([{ kind: 'session', sessionId: 'remembered-session', until: clock + 60 }])
    expect(await code(token)).toBe('token.revoked')
    // The revocation expires with its tokens: then it is the token's expiry that refuses it.
    clock += 70
    expect(await code(token)).toBe('token.expired')
  })

  test('a token verified before is refused once past its exp, or its maximum age', async () => {
    clock = nowSeconds()
    const token = await at(clock, clock + 60)
    expect(await code(token)).toBe('accepted')
    // The clock tolerance counts as jose counts it: still valid at exp + 4 s, not at exp + 5 s.
    clock += 64
    expect(await code(token)).toBe('accepted')
    clock += 1
    expect(await code(token)).toBe('token.expired')
    clock = nowSeconds()
    const lasting = await at(clock - MAX_ACCESS_TOKEN_AGE_SECONDS + 60, clock + 365 * 86_400)
    expect(await code(lasting)).toBe('accepted')
    clock += 70
    expect(await code(lasting)).toBe('token.expired')
  })

  test('a token differing by one character from one remembered is verified on its own', async () => {
    clock = nowSeconds()
    const token = await at(clock, clock + 60)
    expect(await code(token)).toBe('accepted')
    // Inside the signature: its last character carries padding bits, some of whose changes decode the same.
    const at10 = token.at(-10) === 'A' ? 'B' : 'A'
    expect(await code(`${token.slice(0, -10)}${at10}${token.slice(-9)}`)).toBe('token.invalid')
    expect(await code(token)).toBe('accepted')
  })
})
