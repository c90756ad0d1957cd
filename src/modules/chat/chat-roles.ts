import type { ModuleDatabase } from '../../platform/db/database.ts'
import type { ModulePubSub } from '../../platform/pubsub/types.ts'
import { createChannelCache } from './channel-cache.ts'

/** What a user is in one channel. */
export type ChannelRoles = { broadcaster: boolean; moderator: boolean; vip: boolean }

/** The per-channel roles chat keeps: moderators and VIPs, both named by the broadcaster. */
export type RoleKind = 'moderator' | 'vip'

/** A holder of a role as lists show them (Helix's user_id, user_login, user_name). */
export type RoleHolder = { userId: string; login: string; displayName: string }

export type ChatRoles = {
  /** Read from this process's copy of the channel's roles, which every replica drops on a change. */
  of: (broadcasterId: string, userId: string) => Promise<ChannelRoles>
  /** `already` when the user holds it; a new moderator stops being a VIP, and `moderator` refuses making a moderator a VIP. */
  grant: (kind: RoleKind, broadcasterId: string, userId: string) => Promise<'granted' | 'already' | 'moderator'>
  /** False when the user did not hold it. */
  revoke: (kind: RoleKind, broadcasterId: string, userId: string) => Promise<boolean>
  /** Holders in user-id order after `after`, at most `first`, only `userIds` when given. */
  list: (kind: RoleKind, broadcasterId: string, options: { first: number; after?: string; userIds?: string[] }) => Promise<RoleHolder[]>
  close: () => void
}

const TABLES = { moderator: 'chat_moderators', vip: 'chat_vips' } as const

/**
 * Moderators (`chat_moderators`) and VIPs (`chat_vips`) per channel. A channel's roles are read
 * once per process into a cache that every replica drops when one of them changes, so a
 * message's badges and limits cost no query.
 *
 * @example
 * const roles = createChatRoles(database, pubsub)
 * await roles.grant('moderator', '42', '7') // 'granted'
 * await roles.of('42', '7') // { broadcaster: false, moderator: true, vip: false }
 */
export function createChatRoles(database: ModuleDatabase, pubsub: ModulePubSub): ChatRoles {
  const cache = createChannelCache(pubsub, 'roles', async (broadcasterId) => {
    const rows = await database.sql<{ user_id: string; kind: RoleKind }[]>`
      select user_id::text, 'moderator' as kind from chat_moderators where broadcaster_id = ${broadcasterId}::bigint
      union all
      select user_id::text, 'vip' from chat_vips where broadcaster_id = ${broadcasterId}::bigint`
    return {
      moderators: new Set(rows.filter((r) => r.kind === 'moderator').map((r) => r.user_id)),
      vips: new Set(rows.filter((r) => r.kind === 'vip').map((r) => r.user_id)),
    }
  })

  return {
    async of(broadcasterId, userId) {
      const roles = await cache.get(broadcasterId)
      return { broadcaster: broadcasterId === userId, moderator: roles.moderators.has(userId), vip: roles.vips.has(userId) }
    },
    async grant(kind, broadcasterId, userId) {
      const outcome = await database.transaction(async (tx) => {
        if (kind === 'vip') {
          const [moderator] = await tx.sql`
            select 1 from chat_moderators where broadcaster_id = ${broadcasterId}::bigint and user_id = ${userId}::bigint`
          if (moderator) return 'moderator' as const
        }
        const inserted = await tx.sql.unsafe(
          `insert into ${TABLES[kind]} (broadcaster_id, user_id) values ($1::bigint, $2::bigint) on conflict do nothing returning 1`,
          [broadcasterId, userId],
        )
        if (inserted.length === 0) return 'already' as const
        if (kind === 'moderator') await tx.sql`delete from chat_vips where broadcaster_id = ${broadcasterId}::bigint and user_id = ${userId}::bigint`
        return 'granted' as const
      })
      if (outcome === 'granted') await cache.invalidate(broadcasterId)
      return outcome
    },
    async revoke(kind, broadcasterId, userId) {
      const deleted = await database.sql.unsafe(`delete from ${TABLES[kind]} where broadcaster_id = $1::bigint and user_id = $2::bigint returning 1`, [
        broadcasterId,
        userId,
      ])
      if (deleted.length === 0) return false
      await cache.invalidate(broadcasterId)
      return true
    },
    async list(kind, broadcasterId, { first, after, userIds }) {
      const rows = await database.sql.unsafe<{ user_id: string; login: string | null; display_name: string | null }[]>(
        `select r.user_id::text, u.login, u.display_name
           from ${TABLES[kind]} r left join chat_users u on u.user_id = r.user_id
          where r.broadcaster_id = $1::bigint and r.user_id > $2::bigint and ($3::bigint[] is null or r.user_id = any($3::bigint[]))
          order by r.user_id limit $4`,
        [broadcasterId, after ?? '0', userIds ?? null, first],
      )
      return rows.map((row) => ({ userId: row.user_id, login: row.login ?? '', displayName: row.display_name ?? row.login ?? '' }))
    },
    close: cache.close,
  }
}
