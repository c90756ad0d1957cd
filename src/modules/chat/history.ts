import type { ModuleDatabase } from '../../platform/db/database.ts'

/** A stored message as history and replay show it: a deleted one keeps its place, not its text. */
export type HistoryMessage = {
  id: string
  userId: string
  login: string
  displayName: string
  /** Null once a moderator deleted it. */
  text: string | null
  sentAt: Date
  /** `sent_at::text`, exact to the microsecond, for the cursor. */
  sentAtKey: string
  deleted: boolean
  replyParentId: string | null
}

/** A past or running live session and its messages, each `offsetSeconds` after the session began. */
export type Replay = {
  streamId: string
  broadcasterId: string
  startedAt: Date
  endedAt: Date | null
  messages: (HistoryMessage & { offsetSeconds: number })[]
}

export type ChatHistory = {
  /** Newest first, `limit` of them, older than `before` (`[sent_at::text, id]` of the last one seen). */
  recent: (broadcasterId: string, limit: number, before?: readonly [string, string]) => Promise<HistoryMessage[]>
  /** Oldest first from the session's start (or after `after`); undefined for a stream chat never saw begin. */
  replay: (streamId: string, limit: number, after?: readonly [string, string]) => Promise<Replay | undefined>
}

type Row = {
  id: string
  user_id: string
  login: string | null
  display_name: string | null
  text: string
  sent_at: Date
  sent_at_key: string
  deleted_at: Date | null
  reply_parent_id: string | null
}

const messageOf = (row: Row): HistoryMessage => ({
  id: row.id,
  userId: row.user_id,
  // A sender whose profile chat has not received yet is shown by id rather than dropped.
  login: row.login ?? row.user_id,
  displayName: row.display_name ?? row.login ?? row.user_id,
  text: row.deleted_at === null ? row.text : null,
  sentAt: row.sent_at,
  sentAtKey: row.sent_at_key,
  deleted: row.deleted_at !== null,
  replyParentId: row.reply_parent_id,
})

/**
 * Reads chat_messages (written in batches by the message store) for history and replay, on
 * the (broadcaster_id, sent_at desc) index; ties on `sent_at` are broken by id.
 *
 * @example
 * const history = createChatHistory(database)
 * const page = await history.recent('42', 20)
 */
export function createChatHistory(database: ModuleDatabase): ChatHistory {
  const { sql } = database
  const columns = sql`m.id::text, m.user_id::text, u.login, u.display_name, m.text, m.sent_at, m.sent_at::text as sent_at_key,
    m.deleted_at, m.reply_parent_id::text`
  return {
    async recent(broadcasterId, limit, before) {
      const older = before ? sql`and (m.sent_at, m.id) < (${before[0]}::timestamptz, ${before[1]}::uuid)` : sql``
      const rows = await sql<Row[]>`
        select ${columns} from chat_messages m left join chat_users u on u.user_id = m.user_id
        where m.broadcaster_id = ${broadcasterId} ${older}
        order by m.sent_at desc, m.id desc limit ${limit}`
      return rows.map(messageOf)
    },
    async replay(streamId, limit, after) {
      const [session] = await sql<{ broadcaster_id: string; started_at: Date; ended_at: Date | null }[]>`
        select broadcaster_id::text, started_at, ended_at from chat_stream_sessions where stream_id = ${streamId} and started_at is not null`
      if (!session) return undefined
      const later = after ? sql`and (m.sent_at, m.id) > (${after[0]}::timestamptz, ${after[1]}::uuid)` : sql``
      const until = session.ended_at ? sql`and m.sent_at <= ${session.ended_at}` : sql``
      const rows = await sql<Row[]>`
        select ${columns} from chat_messages m left join chat_users u on u.user_id = m.user_id
        where m.broadcaster_id = ${session.broadcaster_id} and m.sent_at >= ${session.started_at} ${until} ${later}
        order by m.sent_at, m.id limit ${limit}`
      return {
        streamId,
        broadcasterId: session.broadcaster_id,
        startedAt: session.started_at,
        endedAt: session.ended_at,
        messages: rows.map((row) => ({ ...messageOf(row), offsetSeconds: (row.sent_at.getTime() - session.started_at.getTime()) / 1000 })),
      }
    },
  }
}
