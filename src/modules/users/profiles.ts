import { eq, inArray, sql } from 'drizzle-orm'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import { publish } from './publish.ts'
import { type BroadcasterType, type UserId, users } from './schema.ts'

const profileColumns = {
  id: sql<UserId>`${users.id}::text`,
  login: users.login,
  displayName: users.displayName,
  description: users.description,
  profileImageUrl: users.profileImageUrl,
  offlineImageUrl: users.offlineImageUrl,
  broadcasterType: users.broadcasterType,
  createdAt: users.createdAt,
}

/** A user's public fields, as every profile read returns them. */
export type Profile = { id: UserId } & { [K in Exclude<keyof typeof profileColumns, 'id'>]: (typeof users.$inferSelect)[K] }

type ProfileRow = {
  id: string // postgres.js returns int8 as a string
  login: string
  display_name: string
  description: string
  profile_image_url: string
  offline_image_url: string
  broadcaster_type: BroadcasterType
  created_at: Date
}

export type ProfileChanges = Partial<{
  displayName: string
  description: string
  profileImageUrl: string
  offlineImageUrl: string
}>

/** Reads and edits of public profiles. */
export function createProfiles(database: ModuleDatabase) {
  const { db, sql: client } = database
  // The hot path (GET /api/users/{id}): one primary-key read, a prepared statement sent by
  // postgres.js itself; drizzle's query wrapper and row mapping add ~2 µs of CPU a call.
  const byId = async (id: UserId): Promise<Profile | undefined> => {
    const [row] = await client<ProfileRow[]>`
      select id, login, display_name, description, profile_image_url, offline_image_url, broadcaster_type, created_at
      from users where id = ${id}`
    return (
      row && {
        id: row.id,
        login: row.login,
        displayName: row.display_name,
        description: row.description,
        profileImageUrl: row.profile_image_url,
        offlineImageUrl: row.offline_image_url,
        broadcasterType: row.broadcaster_type,
        createdAt: row.created_at,
      }
    )
  }

  return {
    byId,
    byLogins: (logins: string[]): Promise<Profile[]> =>
      db.select(profileColumns).from(users).where(inArray(users.login, logins)),
    byIds: (ids: UserId[]): Promise<Profile[]> =>
      db.select(profileColumns).from(users).where(inArray(users.id, ids.map(BigInt))),
    /** Applies the changes and announces the profile as it now is, in one transaction. */
    update: async (id: UserId, changes: ProfileChanges): Promise<Profile | undefined> => {
      if (Object.values(changes).every((value) => value === undefined)) return byId(id)
      return database.transaction(async (tx) => {
        const [row] = await tx
          .update(users)
          .set({ ...changes, profileVersion: sql`${users.profileVersion} + 1` })
          .where(eq(users.id, BigInt(id)))
          .returning({ ...profileColumns, version: users.profileVersion })
        if (!row) return undefined
        const { version, ...updated } = row
        await publish(tx, 'users.profile_updated.v1', {
          user_id: updated.id,
          login: updated.login,
          display_name: updated.displayName,
          profile_image_url: updated.profileImageUrl,
          offline_image_url: updated.offlineImageUrl,
          version,
        })
        return updated
      })
    },
  }
}

export type Profiles = ReturnType<typeof createProfiles>
