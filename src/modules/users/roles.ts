import { and, eq, sql } from 'drizzle-orm'
import type { Role } from '../../platform/auth/tokens.ts'
import type { Clock } from '../../platform/clock.ts'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import type { Transaction } from '../../platform/events/types.ts'
import { usersError } from './errors.ts'
import { publish } from './publish.ts'
import type { TokenRevocations } from './revocations.ts'
import { type BroadcasterType, type UserId, userRoles, users } from './schema.ts'
import { suspensionInForce } from './suspensions.ts'
import { lockSuspension, lockUsers } from './user-locks.ts'

/**
 * Bumps the user's roles version after a grant or revoke, in one statement with the partner
 * role's copy on the row (what makes a broadcaster a partner; profiles read it there) and, for
 * a revoke, its time; returns the announcement. The row lock orders concurrent changes of one
 * user's roles.
 */
async function announce(
  tx: Transaction,
  change: { userId: UserId; role: Role; by: UserId | null; revoked: boolean; broadcasterType?: BroadcasterType },
) {
  const { userId, role, by, broadcasterType } = change
  const [row] = await tx
    .update(users)
    .set({
      rolesVersion: sql`${users.rolesVersion} + 1`,
      ...(broadcasterType === undefined ? {} : { broadcasterType }),
      ...(change.revoked ? { rolesRevokedAt: sql`now()` } : {}),
    })
    .where(eq(users.id, BigInt(userId)))
    .returning({ version: users.rolesVersion, at: sql<number>`extract(epoch from now())::float8` })
  if (!row) throw new Error('roles version update found no user')
  return { event: { user_id: userId, role, by_user_id: by, version: row.version }, at: row.at }
}

/**
 * Global roles. A grant reaches access tokens at the next login or refresh; a revoke reaches
 * the tokens already out at once, through `revocations` (grant-only callers, as `grantAdmin`,
 * pass none). `clock` tells whether a suspension is still in force.
 */
export function createRoles(database: ModuleDatabase, clock: Clock, revocations?: TokenRevocations) {
  const { db } = database
  return {
    /**
     * False when the user does not exist; granting a held role changes nothing; `account.gone`
     * when `by` no longer exists; `role.suspended` for admin while a suspension is in force.
     */
    grant: (userId: UserId, role: Role, by: UserId | null): Promise<boolean> =>
      database.transaction(async (tx) => {
        if (!(await lockUsers(tx, userId, by))) return false
        if (role === 'admin') {
          const suspension = await lockSuspension(tx, userId)
          if (suspension && suspensionInForce(suspension.suspendedAt, suspension.endsAt, clock())) {
            throw usersError('role.suspended', 'This account is suspended: reinstate it before making it an admin')
          }
        }
        const [granted] = await tx
          .insert(userRoles)
          .values({ userId: BigInt(userId), role, grantedBy: by === null ? null : BigInt(by) })
          .onConflictDoNothing()
          .returning({ role: userRoles.role })
        if (granted) {
          const change = { userId, role, by, revoked: false, broadcasterType: role === 'partner' ? ('partner' as const) : undefined }
          await publish(tx, 'users.role_granted.v1', (await announce(tx, change)).event)
        }
        return true
      }),
    /** False when the user did not hold the role; `account.gone` when `by` no longer exists. */
    async revoke(userId: UserId, role: Role, by: UserId | null): Promise<boolean> {
      const revoked = await database.transaction(async (tx) => {
        if (!(await lockUsers(tx, userId, by))) return undefined
        const [deleted] = await tx
          .delete(userRoles)
          .where(and(eq(userRoles.userId, BigInt(userId)), eq(userRoles.role, role)))
          .returning({ role: userRoles.role })
        if (!deleted) return undefined
        const change = { userId, role, by, revoked: true, broadcasterType: role === 'partner' ? ('' as const) : undefined }
        const { event, at } = await announce(tx, change)
        await publish(tx, 'users.role_revoked.v1', event)
        const held = await tx.select({ role: userRoles.role }).from(userRoles).where(eq(userRoles.userId, BigInt(userId)))
        return { userId, version: event.version, roles: held.map((r) => r.role as Role), revokedAt: at }
      })
      // After the commit: tokens minted from the old roles keep only those still held.
      if (revoked) await revocations?.rolesRevoked(revoked)
      return revoked !== undefined
    },
    async idOfLogin(login: string): Promise<UserId | undefined> {
      const [user] = await db.select({ id: users.id }).from(users).where(eq(users.login, login))
      return user && String(user.id)
    },
  }
}

export type Roles = ReturnType<typeof createRoles>
