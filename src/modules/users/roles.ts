import { and, eq } from 'drizzle-orm'
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import type { Role } from '../../platform/auth/tokens.ts'
import { userRoles, users } from './schema.ts'

/** Global roles. They reach access tokens at the next login or refresh. */
export function createRoles(db: PostgresJsDatabase) {
  return {
    /** False when the user does not exist; granting a held role changes nothing. */
    async grant(userId: number, role: Role, grantedBy: number | null): Promise<boolean> {
      const [user] = await db.select({ id: users.id }).from(users).where(eq(users.id, userId))
      if (!user) return false
      await db.insert(userRoles).values({ userId, role, grantedBy }).onConflictDoNothing()
      return true
    },
    async revoke(userId: number, role: Role): Promise<boolean> {
      const deleted = await db
        .delete(userRoles)
        .where(and(eq(userRoles.userId, userId), eq(userRoles.role, role)))
        .returning({ role: userRoles.role })
      return deleted.length > 0
    },
    async idOfLogin(login: string): Promise<number | undefined> {
      const [user] = await db.select({ id: users.id }).from(users).where(eq(users.login, login))
      return user?.id
    },
  }
}

export type Roles = ReturnType<typeof createRoles>
