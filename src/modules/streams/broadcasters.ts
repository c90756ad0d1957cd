import { sql } from 'drizzle-orm'
import { usersEvents, type UsersEvent } from '../../contracts/users.ts'
import { consume } from '../../platform/events/consume.ts'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import type { EventEnvelope } from '../../platform/events/types.ts'
import { broadcasters, channels } from './schema.ts'

type Profile = {
  userId: bigint
  login: string
  displayName: string
  profileImageUrl?: string
  offlineImageUrl?: string
  profileVersion: number
}

/**
 * The payload with the highest version per user, in user-id order: an upsert may not touch a
 * row twice, and replicas' batches lock shared rows in one order, so they never deadlock.
 */
function latestPerUser<P extends { user_id: string; version: number }>(events: EventEnvelope<string, P>[]): P[] {
  const latest = new Map<string, P>()
  for (const { payload } of events) {
    if ((latest.get(payload.user_id)?.version ?? 0) <= payload.version) latest.set(payload.user_id, payload)
  }
  return [...latest.values()].sort((a, b) => (BigInt(a.user_id) < BigInt(b.user_id) ? -1 : 1))
}

/**
 * The users projection and a channel per user, from the users events (live, or the users
 * snapshot when streams joins an installation late). A registration makes the channel; a
 * profile update overwrites the copy when its version is at least the one held (a registration
 * and the profile of one version say the same, the profile more).
 */
export const broadcasterProjection = consume(usersEvents, {
  'users.registered.v1': {
    handleMany: async (tx, events) => {
      const rows: Profile[] = latestPerUser<UsersEvent<'users.registered.v1'>>(events).map((p) => ({
        userId: BigInt(p.user_id),
        login: p.login,
        displayName: p.display_name,
        profileVersion: p.version,
      }))
      await tx
        .insert(broadcasters)
        .values(rows)
        .onConflictDoUpdate({
          target: broadcasters.userId,
          set: { login: sql`excluded.login`, displayName: sql`excluded.display_name`, profileVersion: sql`excluded.profile_version` },
          setWhere: sql`${broadcasters.profileVersion} < excluded.profile_version`,
        })
      await tx.insert(channels).values(rows.map((row) => ({ broadcasterId: row.userId }))).onConflictDoNothing()
    },
  },
  'users.profile_updated.v1': {
    handleMany: async (tx, events) => {
      const rows: Profile[] = latestPerUser<UsersEvent<'users.profile_updated.v1'>>(events).map((p) => ({
        userId: BigInt(p.user_id),
        login: p.login,
        displayName: p.display_name,
        profileImageUrl: p.profile_image_url,
        offlineImageUrl: p.offline_image_url,
        profileVersion: p.version,
      }))
      await tx
        .insert(broadcasters)
        .values(rows)
        .onConflictDoUpdate({
          target: broadcasters.userId,
          set: {
            login: sql`excluded.login`,
            displayName: sql`excluded.display_name`,
            profileImageUrl: sql`excluded.profile_image_url`,
            offlineImageUrl: sql`excluded.offline_image_url`,
            profileVersion: sql`excluded.profile_version`,
          },
          setWhere: sql`${broadcasters.profileVersion} <= excluded.profile_version`,
        })
      // A profile may arrive before its registration (another delivery's order): the channel exists either way.
      await tx.insert(channels).values(rows.map((row) => ({ broadcasterId: row.userId }))).onConflictDoNothing()
    },
  },
})

/**
 * A broadcaster's login as the projection holds it.
 * @example
 * const loginOf = broadcasterLogins(database)
 * await loginOf('42') // 'twitchdev'
 */
export const broadcasterLogins =
  (database: ModuleDatabase) =>
  async (broadcasterId: string): Promise<string | undefined> =>
    (await database.sql<{ login: string }[]>`select login from broadcasters where user_id = ${broadcasterId}::bigint`)[0]?.login
