import type { ModuleDatabase } from '../../platform/db/database.ts'
import { serverLine } from './irc/replies.ts'

/** Twitch's longest timeout: two weeks, in seconds. */
export const MAX_TIMEOUT_SECONDS = 1_209_600

/** A ban in force: permanent when `expiresAt` is null, a timeout that ends by itself otherwise. */
export type Ban = {
  userId: string
  moderatorId: string
  reason: string
  createdAt: Date
  expiresAt: Date | null
}

/** A ban as lists show it, with who banned whom (Helix's Get Banned Users). */
export type ListedBan = Ban & { login: string; displayName: string; moderatorLogin: string; moderatorName: string }

export type Bans = {
  /** The ban in force on `userId` in the channel at `now`, if any: the one read every message makes. */
  active: (broadcasterId: string, userId: string, now: Date) => Promise<Pick<Ban, 'expiresAt'> | undefined>
  /**
   * Bans (no `seconds`) or times out. A timeout or ban replaces a timeout in force; nothing
   * replaces a permanent ban (`already_banned`).
   */
  ban: (
    broadcasterId: string,
    userId: string,
    by: { moderatorId: string; reason: string; seconds?: number; now: Date },
  ) => Promise<Ban | 'already_banned'>
  /** Lifts the ban or timeout in force (`only: 'timeout'` leaves a permanent ban); what was lifted, or why nothing was. */
  lift: (broadcasterId: string, userId: string, now: Date, only?: 'timeout') => Promise<'lifted' | 'not_banned' | 'permanent'>
  /** Bans in force, newest first, after the cursor (created_at text, user id). */
  list: (
    broadcasterId: string,
    options: { first: number; after?: readonly [string, string]; userIds?: string[]; now: Date },
  ) => Promise<(ListedBan & { cursor: [string, string] })[]>
  /** Deletes timeouts that ended before `now`; how many. */
  prune: (now: Date) => Promise<number>
}

type BanRow = { user_id: string; moderator_id: string; reason: string; created_at: Date; expires_at: Date | null }

const fromRow = (row: BanRow): Ban => ({
  userId: row.user_id,
  moderatorId: row.moderator_id,
  reason: row.reason,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
})

/**
 * Bans and timeouts in `banned_users`, one row per banned user and channel. A timeout's row
 * stays past its `expires_at` until pruned, but counts as no ban from that instant: timeouts
 * end by themselves, with no job in the way.
 *
 * @example
 * const bans = createBans(database)
 * await bans.ban('42', '7', { moderatorId: '42', reason: 'spam', seconds: 600, now: new Date() })
 * await bans.active('42', '7', new Date()) // { expiresAt: <in ten minutes> }
 */
export function createBans(database: ModuleDatabase): Bans {
  const { sql } = database
  return {
    async active(broadcasterId, userId, now) {
      const [row] = await sql<{ expires_at: Date | null }[]>`
        select expires_at from banned_users
         where broadcaster_id = ${broadcasterId}::bigint and user_id = ${userId}::bigint and (expires_at is null or expires_at > ${now})`
      return row ? { expiresAt: row.expires_at } : undefined
    },
    async ban(broadcasterId, userId, { moderatorId, reason, seconds, now }) {
      const expiresAt = seconds === undefined ? null : new Date(now.getTime() + seconds * 1000)
      // One statement: a permanent ban in force is never replaced, even by a racing moderator.
      const [row] = await sql<BanRow[]>`
        insert into banned_users (broadcaster_id, user_id, moderator_id, reason, created_at, expires_at)
        values (${broadcasterId}::bigint, ${userId}::bigint, ${moderatorId}::bigint, ${reason}, ${now}, ${expiresAt})
        on conflict (broadcaster_id, user_id) do update
          set moderator_id = excluded.moderator_id, reason = excluded.reason, created_at = excluded.created_at, expires_at = excluded.expires_at
          where banned_users.expires_at is not null
        returning user_id::text, moderator_id::text, reason, created_at, expires_at`
      return row ? fromRow(row) : 'already_banned'
    },
    async lift(broadcasterId, userId, now, only) {
      const [deleted] = await sql<{ expires_at: Date | null }[]>`
        delete from banned_users
         where broadcaster_id = ${broadcasterId}::bigint and user_id = ${userId}::bigint
           and (expires_at > ${now} or (expires_at is null and ${only !== 'timeout'}))
        returning expires_at`
      if (deleted) return 'lifted'
      if (only !== 'timeout') return 'not_banned'
      return (await this.active(broadcasterId, userId, now)) ? 'permanent' : 'not_banned'
    },
    async list(broadcasterId, { first, after, userIds, now }) {
      const rows = await sql<(BanRow & { cursor_at: string; login: string | null; display_name: string | null; moderator_login: string | null; moderator_name: string | null })[]>`
        select b.user_id::text, b.moderator_id::text, b.reason, b.created_at, b.expires_at, b.created_at::text as cursor_at,
               u.login, u.display_name, m.login as moderator_login, m.display_name as moderator_name
          from banned_users b
          left join chat_users u on u.user_id = b.user_id
          left join chat_users m on m.user_id = b.moderator_id
         where b.broadcaster_id = ${broadcasterId}::bigint and (b.expires_at is null or b.expires_at > ${now})
           ${userIds ? sql`and b.user_id = any(${userIds}::bigint[])` : sql``}
           ${after ? sql`and (b.created_at, b.user_id) < (${after[0]}::timestamptz, ${after[1]}::bigint)` : sql``}
         order by b.created_at desc, b.user_id desc
         limit ${first}`
      return rows.map((row) => ({
        ...fromRow(row),
        login: row.login ?? '',
        displayName: row.display_name ?? row.login ?? '',
        moderatorLogin: row.moderator_login ?? '',
        moderatorName: row.moderator_name ?? row.moderator_login ?? '',
        cursor: [row.cursor_at, row.user_id],
      }))
    },
    async prune(now) {
      return (await sql`delete from banned_users where expires_at <= ${now}`).count
    },
  }
}

const sentAt = (now: Date) => String(now.getTime())

/**
 * CLEARCHAT for a ban (no `seconds`), a timeout, or, without `target`, the whole chat cleared.
 * @example clearchatLine('ada', '42', new Date(), { login: 'bob', userId: '7', seconds: 600 })
 * // '@ban-duration=600;room-id=42;target-user-id=7;tmi-sent-ts=… :tmi.twitch.tv CLEARCHAT #ada :bob'
 */
export function clearchatLine(channelLogin: string, broadcasterId: string, now: Date, target?: { login: string; userId: string; seconds?: number }): string {
  const tags: Record<string, string> = {}
  if (target?.seconds !== undefined) tags['ban-duration'] = String(target.seconds)
  tags['room-id'] = broadcasterId
  if (target) tags['target-user-id'] = target.userId
  tags['tmi-sent-ts'] = sentAt(now)
  return serverLine('CLEARCHAT', target ? [`#${channelLogin}`, target.login] : [`#${channelLogin}`], tags)
}

/**
 * CLEARMSG: one message deleted, with its sender's login and its text, as Twitch sends it.
 * @example clearmsgLine('ada', '42', new Date(), { id: 'b34c…', login: 'bob', text: 'spam' })
 */
export function clearmsgLine(channelLogin: string, broadcasterId: string, now: Date, message: { id: string; login: string; text: string }): string {
  return serverLine('CLEARMSG', [`#${channelLogin}`, message.text], {
    login: message.login,
    'room-id': broadcasterId,
    'target-msg-id': message.id,
    'tmi-sent-ts': sentAt(now),
  })
}
