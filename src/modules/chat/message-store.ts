import type { Logger } from 'pino'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import type { AcceptedMessage } from './chat-services.ts'

export type MessageStore = {
  /** Queues an accepted message; it is written with the next batch. */
  add: (message: AcceptedMessage) => void
  /** Writes what is queued, in one statement per 1 000 messages; what fails is queued again. */
  flush: () => Promise<void>
  pending: () => number
  /** A message of the room, queued or stored, as a reply names it; `threadId` is the thread's first message. */
  find: (broadcasterId: string, id: string) => Promise<{ id: string; userId: string; text: string; threadId: string } | undefined>
}

const BATCH = 1000

/**
 * Accepted messages are written in batches (a job every `CHAT_STORE_INTERVAL_MS`, and once more
 * at shutdown), never one INSERT per message. While the database is unreachable they wait in
 * memory, at most `capacity`; past that the oldest are dropped, and logged.
 *
 * @example
 * const store = createMessageStore(database, log)
 * store.add({ id, broadcasterId: '42', userId: '7', login: 'bob', text: 'hi', sentAt: new Date() })
 * await store.flush()
 */
export function createMessageStore(database: ModuleDatabase, log: Logger, capacity = 200_000): MessageStore {
  let queued: AcceptedMessage[] = []
  let flushing: Promise<void> | undefined

  const write = async () => {
    while (queued.length > 0) {
      const batch = queued.slice(0, BATCH)
      queued = queued.slice(batch.length)
      try {
        await database.sql`
          insert into chat_messages (id, broadcaster_id, user_id, text, sent_at, reply_parent_id)
          select * from unnest(
            ${batch.map((m) => m.id)}::uuid[], ${batch.map((m) => m.broadcasterId)}::bigint[], ${batch.map((m) => m.userId)}::bigint[],
            ${batch.map((m) => m.text)}::text[], ${batch.map((m) => m.sentAt.toISOString())}::timestamptz[], ${batch.map((m) => m.replyParentId ?? null)}::uuid[])
          on conflict (id) do nothing`
      } catch (error) {
        queued = [...batch, ...queued]
        log.error({ err: error, pending: queued.length }, 'chat messages not stored yet; retrying with the next batch')
        return
      }
    }
  }

  return {
    add(message) {
      queued.push(message)
      if (queued.length > capacity) {
        const dropped = queued.length - capacity
        queued = queued.slice(dropped)
        log.error({ dropped }, 'chat messages dropped unstored: the database has been unreachable too long')
      }
    },
    flush() {
      // One writer at a time: the job and the shutdown flush may overlap.
      flushing ??= write().finally(() => (flushing = undefined))
      return flushing
    },
    pending: () => queued.length,
    async find(broadcasterId, id) {
      const waiting = queued.find((m) => m.id === id && m.broadcasterId === broadcasterId)
      if (waiting) return { id, userId: waiting.userId, text: waiting.text, threadId: waiting.replyParentId ?? id }
      const [row] = await database.sql<{ user_id: string; text: string; reply_parent_id: string | null }[]>`
        select user_id::text, text, reply_parent_id from chat_messages where id = ${id} and broadcaster_id = ${broadcasterId} and deleted_at is null`
      return row && { id, userId: row.user_id, text: row.text, threadId: row.reply_parent_id ?? id }
    },
  }
}
