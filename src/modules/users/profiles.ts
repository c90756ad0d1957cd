import { eq, exists, inArray, sql } from 'drizzle-orm'
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import { publish } from './events.ts'
import { userRoles, users } from './schema.ts'

const isPartner = exists(
  sql`(select 1 from ${userRoles} where ${userRoles.userId} = ${users.id} and ${userRoles.role} = 'partner')`,
)

export const profileColumns = {
  id: users.id,
  login: users.login,
  displayName: users.displayName,
  description: users.description,
  profileImageUrl: users.profileImageUrl,
  offlineImageUrl: users.offlineImageUrl,
  createdAt: users.createdAt,
  partner: sql<boolean>`${isPartner}`.mapWith(Boolean),
}

export type ProfileChanges = Partial<{
  displayName: string
  description: string
  profileImageUrl: string
  offlineImageUrl: string
}>

/** Reads and edits of public profiles; the by-id read is the hot path, so it is prepared. */
export function createProfiles(db: PostgresJsDatabase) {
  const byId = db
    .select(profileColumns)
    .from(users)
    .where(eq(users.id, sql.placeholder('id')))
    .prepare('users_profile_by_id')

  return {
    byId: async (id: number) => (await byId.execute({ id }))[0],
    byLogins: (logins: string[]) => db.select(profileColumns).from(users).where(inArray(users.login, logins)),
    byIds: (ids: number[]) => db.select(profileColumns).from(users).where(inArray(users.id, ids)),
    /** Applies the changes and announces the profile as it now is, in one transaction. */
    update: async (id: number, changes: ProfileChanges) => {
      if (Object.values(changes).every((value) => value === undefined)) return (await byId.execute({ id }))[0]
      return db.transaction(async (tx) => {
        const [updated] = await tx.update(users).set(changes).where(eq(users.id, id)).returning(profileColumns)
        if (updated) {
          await publish(tx, 'users.profile_updated.v1', {
            user_id: String(updated.id),
            login: updated.login,
            display_name: updated.displayName,
            profile_image_url: updated.profileImageUrl,
            offline_image_url: updated.offlineImageUrl,
          })
        }
        return updated
      })
    },
  }
}

export type Profiles = ReturnType<typeof createProfiles>
