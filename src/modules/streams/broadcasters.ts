import { sql } from 'drizzle-orm'
import { usersEvents, type UsersEvent } from '../../contracts/users.ts'
import { consume } from '../../platform/events/consume.ts'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import type { EventEnvelope } from '../../platform/events/types.ts'
import { endChannelSession, owesCut } from './live-sessions.ts'
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
 * and the profile of one version say the same, the profile more); suspensions are kept by the
 * highest version.
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
  /**
   * A suspension in force ends the broadcaster's live session (announced offline) and owes its
   * cut at the media server. The channel's row is locked first, as a publish locks it
   * (live-sessions.ts), so a publish racing this is refused or ended. A suspension may arrive
   * before its user's registration: the projection is a table of its own. In force is judged
   * by the module's clock, as a publish is (suspensions.ts).
   */
  'users.suspended.v1': async (tx, { payload }, { clock }) => {
    await tx.sql`select 1 from channels where broadcaster_id = ${payload.user_id}::bigint for no key update`
    const [applied] = await tx.sql<{ in_force: boolean }[]>`
      insert into suspensions (user_id, suspended, ends_at, version)
      values (${payload.user_id}::bigint, true, ${payload.ends_at}::timestamptz, ${payload.version})
      on conflict (user_id) do update set suspended = true, ends_at = excluded.ends_at, version = excluded.version
        where suspensions.version < excluded.version
      returning ends_at is null or ends_at > ${clock()} as in_force`
    // A timed suspension delivered after its end (a late consumer, a backlog) cuts nothing.
    if (!applied?.in_force) return
    const ended = await endChannelSession(tx, payload.user_id, 'suspended')
    if (ended) await owesCut(tx, ended)
  },
  'users.reinstated.v1': async (tx, { payload }) => {
    await tx.sql`
      insert into suspensions (user_id, suspended, version) values (${payload.user_id}::bigint, false, ${payload.version})
      on conflict (user_id) do update set suspended = false, ends_at = null, version = excluded.version
        where suspensions.version < excluded.version`
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
