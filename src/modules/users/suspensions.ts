import type { Clock } from '../../platform/clock.ts'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import type { JobRun } from '../../platform/jobs/job.ts'
import { usersError } from './errors.ts'
import { publish } from './publish.ts'
import type { TokenRevocations } from './revocations.ts'
import type { UserId } from './schema.ts'
import { lockSuspension, lockUsers } from './user-locks.ts'

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

/** Ended suspensions lifted per transaction by `endSuspensionsDue`: each is one outbox row, and rare. */
const ENDED_PER_TRANSACTION = 100

/**
 * Admins' suspensions of accounts. A suspension ends every session of the account at once (on
 * every process's verifier too) and refuses its logins until `endsAt` (null: until reinstated);
 * `endsAt` and the logins are compared with `clock`, and a job (`endSuspensionsDue`) lifts a
 * timed one whose end has come, announcing it. An admin is never suspended (the role is revoked
 * first, a second deliberate act), and nobody suspends themselves.
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
        // Before the role is read: an admin grant racing this waits, or has committed (roles.ts).
        await lockSuspension(tx, userId)
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

    /** The suspension in force by the clock; null when there is none, undefined when there is no such user. */
    async current(userId: UserId): Promise<Suspension | null | undefined> {
      const [row] = await database.sql<
        { suspended_at: Date | null; suspension_ends_at: Date | null; suspension_reason: string | null; suspended_by: string | null }[]
      >`select suspended_at, suspension_ends_at, suspension_reason, suspended_by::text as suspended_by from users where id = ${userId}`
      if (!row) return undefined
      const { suspended_at: suspendedAt, suspension_ends_at: endsAt } = row
      if (suspendedAt === null || !suspensionInForce(suspendedAt, endsAt, clock())) return null
      return { userId, reason: row.suspension_reason ?? '', endsAt, suspendedAt, suspendedBy: row.suspended_by }
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

/**
 * One run of the job that lifts the timed suspensions whose end has come by `clock`, each with
 * its `users.reinstated.v1` (`expired`) in the transaction that lifts it, so each is announced
 * once: rows are locked and skipped when locked (an overlapping run, a login), and a suspension
 * replaced or lifted meanwhile is no longer due once its lock is taken.
 * @example
 * jobs: [{ name: 'suspension-ends', everyMs: 5000, singleton: true, run: endSuspensionsDue(database, clock) }]
 */
export const endSuspensionsDue =
  (database: ModuleDatabase, clock: Clock) =>
  async ({ signal }: JobRun): Promise<void> => {
    while (!signal.aborted) {
      const ended = await database.transaction(async (tx) => {
        const rows = await tx.sql<{ id: string; suspension_version: number }[]>`
          update users u set suspended_at = null, suspension_ends_at = null, suspension_reason = null, suspended_by = null,
            suspension_version = u.suspension_version + 1
          from (
            select id from users where suspension_ends_at <= ${clock()}
            order by suspension_ends_at limit ${ENDED_PER_TRANSACTION} for no key update skip locked
          ) due
          where u.id = due.id returning u.id::text as id, u.suspension_version`
        for (const row of rows) {
          await publish(tx, 'users.reinstated.v1', { user_id: row.id, by_user_id: null, version: row.suspension_version, expired: true })
        }
        return rows.length
      })
      if (ended < ENDED_PER_TRANSACTION) return
    }
  }
