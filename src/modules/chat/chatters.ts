import type { ModuleDatabase } from '../../platform/db/database.ts'

/** `first-msg`: the sender's first message in the channel ever; `returning-chatter`: back after a day or more away. */
export type ChatterFlags = { firstMessage: boolean; returning: boolean }

export type Chatters = {
  /** Marks the user as having chatted in the channel at `at`, and says what that message is for them. */
  chatted: (broadcasterId: string, userId: string, at: Date) => Promise<ChatterFlags>
}

const RETURNING_AFTER_MS = 86_400_000

/**
 * Who has chatted where (chat_chatters). A user's state per channel is read once per process and
 * kept; the last message time is written once a day at most, so a busy chatter costs no writes.
 *
 * @example
 * const { firstMessage } = await chatters.chatted('42', '7', new Date())
 */
export function createChatters(database: ModuleDatabase, capacity = 100_000): Chatters {
  const known = new Map<string, number>()
  return {
    async chatted(broadcasterId, userId, at) {
      const key = `${broadcasterId}:${userId}`
      const last = known.get(key)
      if (last !== undefined && at.getTime() - last < RETURNING_AFTER_MS) return { firstMessage: false, returning: false }
      // One statement: the row is made on the first message, and its previous last message comes back.
      const [row] = await database.sql<{ previous: Date | null }[]>`
        with before as (select last_message_at from chat_chatters where broadcaster_id = ${broadcasterId} and user_id = ${userId})
        insert into chat_chatters (broadcaster_id, user_id, first_message_at, last_message_at) values (${broadcasterId}, ${userId}, ${at}, ${at})
        on conflict (broadcaster_id, user_id) do update set last_message_at = excluded.last_message_at
        returning (select last_message_at from before) as previous`
      known.delete(key)
      known.set(key, at.getTime())
      if (known.size > capacity) known.delete(known.keys().next().value!)
      const previous = row?.previous ?? null
      return { firstMessage: previous === null, returning: previous !== null && at.getTime() - previous.getTime() >= RETURNING_AFTER_MS }
    },
  }
}
