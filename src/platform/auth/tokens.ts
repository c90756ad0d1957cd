import { importPKCS8, importSPKI, jwtVerify, SignJWT, errors } from 'jose'
import { DomainError } from '../errors.ts'
import { createVerifiedTokens } from './verified-tokens.ts'

export const ROLES = ['admin', 'staff', 'partner'] as const
export type Role = (typeof ROLES)[number]

/** What an access token tells every module about its bearer, with no call to users. */
export type AccessClaims = {
  userId: string
  login: string
  roles: Role[]
  sessionId: string
}

/**
 * What users signs: the claims, and the version of the user's roles they were read at (`rv`);
 * without one (0), any revocation of the user's roles still in force applies to the token.
 */
export type SignedClaims = AccessClaims & { rolesVersion?: number }

// Pinned: a token naming any other algorithm (none, HS256 with the public key…) is refused.
const ALGORITHM = 'EdDSA'
// RFC 9068: an access token says so, so no other JWT signed with the key (an ID token, a
// link token one day) passes for one.
const TOKEN_TYPE = 'at+jwt'

/**
 * The oldest an access token may be, from its `iat`, whatever its `exp` says: a token minted
 * with a far-future `exp` (a misconfigured or stolen signer) still dies within a day. The users
 * module's `ACCESS_TOKEN_TTL_SECONDS` cannot exceed it, so no process refuses what users signs.
 */
export const MAX_ACCESS_TOKEN_AGE_SECONDS = 86_400

/** Clocks of two hosts differ a little: a token minted on one is not "from the future" on another. */
export const CLOCK_TOLERANCE_SECONDS = 5

export type TokenSettings = { issuer: string; audience: string }

/** The revocations a verifier consults (revocations.ts holds them, fed from users). */
export type RevocationChecks = {
  sessionRevoked: (sessionId: string) => boolean
  /** Tokens of the user minted from roles older than `version` keep only `roles`. */
  rolesFloor: (userId: string) => { version: number; roles: readonly Role[] } | undefined
}

export type AccessTokenVerifier = (token: string) => Promise<AccessClaims>
/** Signs `claims`, issued at `issuedAt` (epoch seconds, now by default): the same input, the same token (Ed25519 is deterministic). */
export type AccessTokenSigner = (claims: SignedClaims, issuedAt?: number) => Promise<string>

const nowSeconds = () => Math.floor(Date.now() / 1000)

/** What a token's signature and claims vouch for, before the revocations are applied. */
type Verified = Omit<AccessClaims, 'roles'> & { signed: Role[]; rolesVersion: number }

/**
 * Verified tokens a verifier remembers: a client sends the same token on every request until it
 * refreshes, and jose's Ed25519 check costs ~65 µs of CPU. An entry is a few hundred bytes.
 */
export const VERIFIED_TOKENS_KEPT = 10_000

/**
 * The platform's verifier: signature, `typ`, issuer, audience, expiry and age, then the
 * revocations every process holds (`revocations`): a token of a revoked session is
 * `token.revoked`; one minted before its user's roles were last revoked keeps only the roles
 * the user still holds. A token that passed is remembered (`verified-tokens.ts`) until jose
 * would refuse it for its `exp` or age, so only the revocations are read again on every call:
 * two Map lookups, no call to users. `now` (epoch seconds) is the clock of both.
 *
 * @example
 * const verify = await createAccessTokenVerifier(publicKeyPem, { issuer: 'ondes', audience: 'ondes' }, revocations)
 * const { userId, roles } = await verify(bearer)
 */
export async function createAccessTokenVerifier(
  publicKeyPem: string,
  settings: TokenSettings,
  revocations?: RevocationChecks,
  now: () => number = nowSeconds,
): Promise<AccessTokenVerifier> {
  const key = await importSPKI(publicKeyPem, ALGORITHM)
  const verified = createVerifiedTokens<Verified>(VERIFIED_TOKENS_KEPT, now)

  const check = async (token: string): Promise<Verified> => {
    const known = verified.recall(token)
    if (known !== undefined) return known
    let payload
    try {
      ;({ payload } = await jwtVerify(token, key, {
        algorithms: [ALGORITHM],
        typ: TOKEN_TYPE,
        issuer: settings.issuer,
        audience: settings.audience,
        requiredClaims: ['exp', 'iat', 'sub', 'sid'],
        maxTokenAge: MAX_ACCESS_TOKEN_AGE_SECONDS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(now() * 1000),
      }))
    } catch (error) {
      throw error instanceof errors.JWTExpired
        ? new DomainError('token.expired', 'The access token has expired')
        : new DomainError('token.invalid', 'The access token is not valid')
    }
    const entry: Verified = {
      userId: String(payload.sub),
      login: String(payload.login ?? ''),
      signed: Array.isArray(payload.roles) ? (payload.roles.filter((r) => ROLES.includes(r)) as Role[]) : [],
      rolesVersion: typeof payload.rv === 'number' ? payload.rv : 0,
      sessionId: String(payload.sid),
    }
    // jose refuses it from `exp` + tolerance on, and once older than the maximum age + tolerance.
    verified.remember(token, entry, Math.min(Number(payload.exp), Number(payload.iat) + MAX_ACCESS_TOKEN_AGE_SECONDS) + CLOCK_TOLERANCE_SECONDS)
    return entry
  }

  return async (token) => {
    const { userId, login, signed, rolesVersion, sessionId } = await check(token)
    if (revocations?.sessionRevoked(sessionId)) {
      throw new DomainError('token.revoked', 'The session of this access token has ended; sign in again')
    }
    const floor = revocations?.rolesFloor(userId)
    const roles = floor !== undefined && rolesVersion < floor.version ? signed.filter((role) => floor.roles.includes(role)) : [...signed]
    return { userId, login, roles, sessionId }
  }
}

export async function createAccessTokenSigner(
  privateKeyPem: string,
  settings: TokenSettings & { ttlSeconds: number },
): Promise<AccessTokenSigner> {
  const key = await importPKCS8(privateKeyPem, ALGORITHM)
  return (claims, issuedAt = nowSeconds()) =>
    new SignJWT({ login: claims.login, roles: claims.roles, sid: claims.sessionId, rv: claims.rolesVersion ?? 0 })
      .setProtectedHeader({ alg: ALGORITHM, typ: TOKEN_TYPE })
      .setSubject(claims.userId)
      .setIssuer(settings.issuer)
      .setAudience(settings.audience)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + settings.ttlSeconds)
      .sign(key)
}
