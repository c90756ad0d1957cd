import type { Sql } from 'postgres'
import type { RevocationPublisher } from '../../platform/auth/revocation-feed.ts'
import type { Revocation } from '../../platform/auth/revocations.ts'
import { CLOCK_TOLERANCE_SECONDS, type Role } from '../../platform/auth/tokens.ts'
import type { UserId } from './schema.ts'

// A token of a session ended now may be signed a moment later (a refresh that committed just before).
const SIGNING_SLACK_SECONDS = 30

export type RolesRevoked = { userId: UserId; version: number; roles: Role[]; revokedAt: number }

/**
 * What users announces to every process's verifier (`ModuleContext.revocations`): ended
 * sessions and revoked roles, each kept until the access tokens it covers have expired
 * (`ACCESS_TOKEN_TTL_SECONDS` after it, with slack). Times are epoch seconds from the database,
 * so the same revocation is the same message whoever announces it, whenever. One Redis did not
 * take is owed: `repair` (a job) announces everything in force again until Redis takes it.
 */
export function createTokenRevocations(publisher: RevocationPublisher, client: Sql, accessTtlSeconds: number) {
  const coverSeconds = accessTtlSeconds + CLOCK_TOLERANCE_SECONDS + SIGNING_SLACK_SECONDS
  const until = (at: number) => Math.ceil(at) + coverSeconds
  const sessionEnded = (id: string, revokedAt: number): Revocation => ({ kind: 'session', sessionId: id, until: until(revokedAt) })
  const rolesRevoked = (r: RolesRevoked): Revocation => ({ kind: 'roles', userId: r.userId, version: r.version, roles: r.roles, until: until(r.revokedAt) })
  let owed = false
  const announce = async (revocations: Revocation[]) => {
    if (!(await publisher.publish(revocations))) owed = true
  }

  /**
   * Announces again what the database knows is still in force: without Redis, the one
   * process's list is gone after a restart; with it, a message lost while Redis was away.
   */
  const reannounce = async (): Promise<number> => {
    // Cleared first: what fails to be taken from here on is owed again.
    owed = false
    const [ended, revoked] = await Promise.all([
      client<{ id: string; revoked_at: number }[]>`
        select id, extract(epoch from revoked_at)::float8 as revoked_at from sessions
        where revoked_at > now() - make_interval(secs => ${coverSeconds})`,
      client<{ id: string; roles_version: number; revoked_at: number; roles: Role[] }[]>`
        select id::text, roles_version, extract(epoch from roles_revoked_at)::float8 as revoked_at,
               array(select role from user_roles where user_id = users.id order by 1) as roles
        from users where roles_revoked_at > now() - make_interval(secs => ${coverSeconds})`,
    ]).catch((error: unknown) => {
      owed = true
      throw error
    })
    const revocations = [
      ...ended.map((s) => sessionEnded(s.id, s.revoked_at)),
      ...revoked.map((u) => rolesRevoked({ userId: u.id, version: u.roles_version, roles: u.roles, revokedAt: u.revoked_at })),
    ]
    await announce(revocations)
    return revocations.length
  }

  return {
    sessionsEnded: (ended: { id: string; revokedAt: number }[]) => announce(ended.map((s) => sessionEnded(s.id, s.revokedAt))),
    rolesRevoked: (revoked: RolesRevoked) => announce([rolesRevoked(revoked)]),
    reannounce,
    /** Announces everything again when something was not taken since the last time. */
    repair: async (): Promise<void> => {
      if (owed) await reannounce()
    },
  }
}

export type TokenRevocations = ReturnType<typeof createTokenRevocations>
