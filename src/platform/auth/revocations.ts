import type { RevocationChecks, Role } from './tokens.ts'

/**
 * What users announces when access tokens must stop working before their `exp`; `until`
 * (epoch seconds) is when every token it covers has expired anyway, so it can be forgotten.
 * - `session`: every token of that session (logout, a revoked session, a reused refresh token).
 * - `roles`: tokens of `userId` minted from roles older than `version` keep only `roles`,
 *   what the user holds now (a revoked role); newer tokens are untouched.
 */
export type Revocation =
  | { kind: 'session'; sessionId: string; until: number }
  | { kind: 'roles'; userId: string; version: number; roles: Role[]; until: number }

export type RolesFloor = { version: number; roles: Role[]; until: number }

/** The revocations a process holds, read by its verifier on every request (a `RevocationChecks`). */
export type RevocationList = {
  apply: (revocations: readonly Revocation[]) => void
  sessionRevoked: RevocationChecks['sessionRevoked']
  rolesFloor: (userId: string) => RolesFloor | undefined
  /** Forgets what has expired; the list also does so on its own when it grows. */
  prune: () => void
  size: () => number
}

const SWEEP_EVERY = 1024

/**
 * Two Maps: the hot path is a lookup in each. Entries merge monotonically (the latest `until`,
 * the highest roles `version`), so one delivered twice or out of order changes nothing.
 *
 * @example
 * const list = createRevocationList()
 * list.apply([{ kind: 'session', sessionId, until: now + 930 }])
 * list.sessionRevoked(sessionId) // true
 */
export function createRevocationList(now: () => number = () => Date.now() / 1000): RevocationList {
  const sessions = new Map<string, number>()
  const floors = new Map<string, RolesFloor>()
  let applied = 0

  const prune = () => {
    const at = now()
    for (const [id, until] of sessions) if (until <= at) sessions.delete(id)
    for (const [id, floor] of floors) if (floor.until <= at) floors.delete(id)
  }

  return {
    apply(revocations) {
      for (const revocation of revocations) {
        if (revocation.kind === 'session') {
          sessions.set(revocation.sessionId, Math.max(revocation.until, sessions.get(revocation.sessionId) ?? 0))
          continue
        }
        const known = floors.get(revocation.userId)
        if (known === undefined || revocation.version > known.version) {
          floors.set(revocation.userId, { version: revocation.version, roles: revocation.roles, until: Math.max(revocation.until, known?.until ?? 0) })
        } else if (revocation.until > known.until) {
          known.until = revocation.until
        }
      }
      applied += revocations.length
      if (applied >= SWEEP_EVERY) {
        applied = 0
        prune()
      }
    },
    sessionRevoked(sessionId) {
      const until = sessions.get(sessionId)
      return until !== undefined && until > now()
    },
    rolesFloor(userId) {
      const floor = floors.get(userId)
      return floor !== undefined && floor.until > now() ? floor : undefined
    },
    prune,
    size: () => sessions.size + floors.size,
  }
}
