import type { Clock } from '../../platform/clock.ts'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import { usersError } from './errors.ts'
import { publish } from './publish.ts'
import type { TokenRevocations } from './revocations.ts'
import { lockUsers } from './roles.ts'
import type { UserId } from './schema.ts'

/** A suspension as it stands: `endsAt` null until an admin reinstates the account. */
export type Suspension = { userId: UserId; reason: string; endsAt: Date | null; suspendedAt: Date; suspendedBy: UserId | null }

/** Whether a suspension on the row is in force at `now`: a timed one ends by itself. */
export const suspensionInForce = (suspendedAt: Date | null, endsAt: Date | null, now: Date): boolean =>
  suspendedAt !== null && (endsAt === null || endsAt > now)

/** What a refused login says: the reason and until when, as Twitch tells a suspended account. */
export function suspendedError(reason: string, endsAt: Date | null) {
  const until = endsAt === null ? 'until an admin reinstates it' : `until ${endsAt.toISOString()}`
  return usersError('account.suspended', `This account is suspended ${until}: ${reason}`)
}

type SuspendedRow = { suspended_at: Date; suspension_version: number }

/**
 * Admins' suspensions of accounts. A suspension ends every session of the account at once (on
 * every process's verifier too) and refuses its logins until `endsAt` (null: until reinstated);
 * `endsAt` and the logins are compared with `clock`. An admin is never suspended (the role is
 * revoked first, a second deliberate act), and nobody suspends themselves.
 */
export function createSuspensions(database: ModuleDatabase, revocations: TokenRevocations, clock: Clock) {
  return {
    /**
     * Suspends `userId`, replacing a suspension already in force; undefined when there is no
     * such user. `suspension.self`, `suspension.ended` (an `endsAt` not ahead of the clock),
     * `suspension.admin`, `account.gone` (`by` no longer exists) say why not.
     */
    async suspend(userId: UserId, change: { reason: string; endsAt: Date | null }, by: UserId): Promise<Suspension | undefined> {
      const { reason, endsAt } = change
      if (userId === by) throw usersError('suspension.self', 'You cannot suspend yourself')
      if (endsAt !== null && endsAt <= clock()) {
        throw usersError('suspension.ended', 'A suspension ends in the future', { errors: [{ field: 'ends_at', message: 'must be in the future' }] })
      }
      const done = await database.transaction(async (tx) => {
        if (!(await lockUsers(tx, userId, by))) return undefined
        const [admin] = await tx.sql`select 1 from user_roles where user_id = ${userId} and role = 'admin'`
        if (admin) throw usersError('suspension.admin', 'This account is an admin: revoke the admin role before suspending it')
        // The row's lock, held to the commit, orders this with a login opening a session (sessions.ts).
        const [row] = await tx.sql<SuspendedRow[]>`
          update users set suspended_at = now(), suspension_ends_at = ${endsAt}, suspension_reason = ${reason},
            suspended_by = ${by}, suspension_version = suspension_version + 1
          where id = ${userId} returning suspended_at, suspension_version`
        if (!row) throw new Error('suspension update found no user')
        const ended = await tx.sql<{ id: string; revoked_at: number }[]>`
          update sessions set revoked_at = now() where user_id = ${userId} and revoked_at is null
          returning id, extract(epoch from revoked_at)::float8 as revoked_at`
        await publish(tx, 'users.suspended.v1', {
          user_id: userId,
          reason,
          ends_at: endsAt?.toISOString() ?? null,
          by_user_id: by,
          version: row.suspension_version,
        })
        return { suspension: { userId, reason, endsAt, suspendedAt: row.suspended_at, suspendedBy: by }, ended }
      })
      // After the commit: the access tokens of those sessions stop working everywhere.
      if (done) await revocations.sessionsEnded(done.ended.map((s) => ({ id: s.id, revokedAt: s.revoked_at })))
      return done?.suspension
    },

    /** Lifts the account's suspension (one that has ended too); false when there is no such user. */
    reinstate: (userId: UserId, by: UserId): Promise<boolean> =>
      database.transaction(async (tx) => {
        if (!(await lockUsers(tx, userId, by))) return false
        const [row] = await tx.sql<{ suspension_version: number }[]>`
          update users set suspended_at = null, suspension_ends_at = null, suspension_reason = null, suspended_by = null,
            suspension_version = suspension_version + 1
          where id = ${userId} and suspended_at is not null returning suspension_version`
        if (row) await publish(tx, 'users.reinstated.v1', { user_id: userId, by_user_id: by, version: row.suspension_version })
        return true
      }),
  }
}

export type Suspensions = ReturnType<typeof createSuspensions>
