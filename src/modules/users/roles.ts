import { and, eq, sql } from 'drizzle-orm'
import type { Role } from '../../platform/auth/tokens.ts'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import type { Transaction } from '../../platform/events/types.ts'
import { publish } from './publish.ts'
import { type BroadcasterType, type UserId, userRoles, users } from './schema.ts'

/**
 * Bumps the user's roles version after a grant or revoke, in one statement with the partner
 * role's copy on the row (what makes a broadcaster a partner; profiles read it there), and
 * returns the announcement. The row lock orders concurrent changes of one user's roles.
 */
async function announce(tx: Transaction, userId: UserId, role: Role, by: UserId | null, broadcasterType?: BroadcasterType) {
  const [row] = await tx
    .update(users)
    .set({ rolesVersion: sql`${users.rolesVersion} + 1`, ...(broadcasterType === undefined ? {} : { broadcasterType }) })
    .where(eq(users.id, BigInt(userId)))
    .returning({ version: users.rolesVersion })
  if (!row) throw new Error('roles version update found no user')
  return { user_id: userId, role, by_user_id: by, version: row.version }
}

/** Global roles. They reach access tokens at the next login or refresh. */
export function createRoles(database: ModuleDatabase) {
  const { db } = database
  return {
    /** False when the user does not exist; granting a held role changes nothing. */
    grant: (userId: UserId, role: Role, by: UserId | null): Promise<boolean> =>
      database.transaction(async (tx) => {
        const [user] = await tx.select({ id: users.id }).from(users).where(eq(users.id, BigInt(userId)))
        if (!user) return false
        const [granted] = await tx
          .insert(userRoles)
          .values({ userId: user.id, role, grantedBy: by === null ? null : BigInt(by) })
          .onConflictDoNothing()
          .returning({ role: userRoles.role })
        if (granted) {
          const partner = role === 'partner' ? 'partner' : undefined
          await publish(tx, 'users.role_granted.v1', await announce(tx, userId, role, by, partner))
        }
        return true
      }),
    revoke: (userId: UserId, role: Role, by: UserId | null): Promise<boolean> =>
      database.transaction(async (tx) => {
        const [revoked] = await tx
          .delete(userRoles)
          .where(and(eq(userRoles.userId, BigInt(userId)), eq(userRoles.role, role)))
          .returning({ role: userRoles.role })
        if (revoked) {
          const partner = role === 'partner' ? '' : undefined
          await publish(tx, 'users.role_revoked.v1', await announce(tx, userId, role, by, partner))
        }
        return revoked !== undefined
      }),
    async idOfLogin(login: string): Promise<UserId | undefined> {
      const [user] = await db.select({ id: users.id }).from(users).where(eq(users.login, login))
      return user && String(user.id)
    },
  }
}

export type Roles = ReturnType<typeof createRoles>
