import { and, eq } from 'drizzle-orm'
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import type { Role } from '../../platform/auth/tokens.ts'
import type { Transaction } from '../../platform/events/types.ts'
import { publish } from './events.ts'
import { type BroadcasterType, userRoles, users } from './schema.ts'

const announcement = (userId: number, role: Role, by: number | null) => ({
  user_id: String(userId),
  role,
  by_user_id: by === null ? null : String(by),
})

// The partner role is what makes a broadcaster a partner; profiles read the copy on the row.
const setBroadcasterType = (tx: Transaction, userId: number, type: BroadcasterType) =>
  tx.update(users).set({ broadcasterType: type }).where(eq(users.id, userId))

/** Global roles. They reach access tokens at the next login or refresh. */
export function createRoles(db: PostgresJsDatabase) {
  return {
    /** False when the user does not exist; granting a held role changes nothing. */
    grant: (userId: number, role: Role, by: number | null): Promise<boolean> =>
      db.transaction(async (tx) => {
        const [user] = await tx.select({ id: users.id }).from(users).where(eq(users.id, userId))
        if (!user) return false
        const [granted] = await tx
          .insert(userRoles)
          .values({ userId, role, grantedBy: by })
          .onConflictDoNothing()
          .returning({ role: userRoles.role })
        if (granted) {
          if (role === 'partner') await setBroadcasterType(tx, userId, 'partner')
          await publish(tx, 'users.role_granted.v1', announcement(userId, role, by))
        }
        return true
      }),
    revoke: (userId: number, role: Role, by: number | null): Promise<boolean> =>
      db.transaction(async (tx) => {
        const [revoked] = await tx
          .delete(userRoles)
          .where(and(eq(userRoles.userId, userId), eq(userRoles.role, role)))
          .returning({ role: userRoles.role })
        if (revoked) {
          if (role === 'partner') await setBroadcasterType(tx, userId, '')
          await publish(tx, 'users.role_revoked.v1', announcement(userId, role, by))
        }
        return revoked !== undefined
      }),
    async idOfLogin(login: string): Promise<number | undefined> {
      const [user] = await db.select({ id: users.id }).from(users).where(eq(users.login, login))
      return user?.id
    },
  }
}

export type Roles = ReturnType<typeof createRoles>
