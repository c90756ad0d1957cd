import { and, eq } from 'drizzle-orm'
import type { Role } from '../../platform/auth/tokens.ts'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import type { Transaction } from '../../platform/events/types.ts'
import { publish } from './publish.ts'
import { type BroadcasterType, type UserId, userRoles, users } from './schema.ts'

const announcement = (userId: UserId, role: Role, by: UserId | null) => ({ user_id: userId, role, by_user_id: by })

// The partner role is what makes a broadcaster a partner; profiles read the copy on the row.
const setBroadcasterType = (tx: Transaction, userId: UserId, type: BroadcasterType) =>
  tx.update(users).set({ broadcasterType: type }).where(eq(users.id, BigInt(userId)))

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
          if (role === 'partner') await setBroadcasterType(tx, userId, 'partner')
          await publish(tx, 'users.role_granted.v1', announcement(userId, role, by))
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
          if (role === 'partner') await setBroadcasterType(tx, userId, '')
          await publish(tx, 'users.role_revoked.v1', announcement(userId, role, by))
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
