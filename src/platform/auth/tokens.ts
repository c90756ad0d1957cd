import { importPKCS8, importSPKI, jwtVerify, SignJWT, errors } from 'jose'
import { DomainError } from '../errors.ts'

export const ROLES = ['admin', 'staff', 'partner'] as const
export type Role = (typeof ROLES)[number]

/** What an access token tells every module about its bearer, with no call to users. */
export type AccessClaims = {
  userId: string
  login: string
  roles: Role[]
  sessionId: string
}

// Pinned: a token naming any other algorithm (none, HS256 with the public key…) is refused.
const ALGORITHM = 'EdDSA'

export type TokenSettings = { issuer: string; audience: string }

export type AccessTokenVerifier = (token: string) => Promise<AccessClaims>
export type AccessTokenSigner = (claims: AccessClaims) => Promise<string>

export async function createAccessTokenVerifier(publicKeyPem: string, settings: TokenSettings): Promise<AccessTokenVerifier> {
  const key = await importSPKI(publicKeyPem, ALGORITHM)
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: [ALGORITHM],
        issuer: settings.issuer,
        audience: settings.audience,
        requiredClaims: ['exp', 'sub', 'sid'],
      })
      const roles = Array.isArray(payload.roles) ? (payload.roles.filter((r) => ROLES.includes(r)) as Role[]) : []
      return {
        userId: String(payload.sub),
        login: String(payload.login ?? ''),
        roles,
        sessionId: String(payload.sid),
      }
    } catch (error) {
      throw error instanceof errors.JWTExpired
        ? new DomainError('token.expired', 'The access token has expired')
        : new DomainError('token.invalid', 'The access token is not valid')
    }
  }
}

export async function createAccessTokenSigner(
  privateKeyPem: string,
  settings: TokenSettings & { ttlSeconds: number },
): Promise<AccessTokenSigner> {
  const key = await importPKCS8(privateKeyPem, ALGORITHM)
  return (claims) =>
    new SignJWT({ login: claims.login, roles: claims.roles, sid: claims.sessionId })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(claims.userId)
      .setIssuer(settings.issuer)
      .setAudience(settings.audience)
      .setIssuedAt()
      .setExpirationTime(`${settings.ttlSeconds}s`)
      .sign(key)
}
