import { chatEvents } from '../../contracts/chat.ts'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import { publisher } from '../../platform/events/publish.ts'

/** The most chatters one `chat.activity.v1` event carries (the contract's bound). */
export const CHATTERS_PER_EVENT = 1000
const MINUTE = 60_000

/** Messages per chatter, per channel, of one minute. */
type Minute = Map<string, Map<string, number>>

export type Activity = {
  /** Counts one accepted message; in memory, never a write per message. */
  count: (broadcasterId: string, userId: string, at: Date) => void
  /**
   * Publishes every minute that is over by `now` (with `all`, the running one too: at shutdown),
   * one event per channel and chunk of at most 1 000 chatters, through the outbox.
   */
  flush: (options?: { all?: boolean; now?: Date }) => Promise<void>
}

const publish = publisher(chatEvents)

/**
 * Per-minute chat activity for analytics: `chat.activity.v1` per channel per finished minute,
 * never one event per message. Each replica counts its own messages, so a minute may come in
 * several events (one set per replica, or a running minute published at shutdown and the rest
 * after): the minute's counts are the sum of its events.
 *
 * @example
 * const activity = createActivity(database)
 * activity.count('42', '7', new Date()) // for each accepted message
 * jobs: [{ name: 'chat-activity', everyMs: 5_000, run: () => activity.flush() }]
 */
export function createActivity(database: ModuleDatabase): Activity {
  const minutes = new Map<number, Minute>()

  const add = (start: number, broadcasterId: string, userId: string, messages: number) => {
    let minute = minutes.get(start)
    if (!minute) minutes.set(start, (minute = new Map()))
    let chatters = minute.get(broadcasterId)
    if (!chatters) minute.set(broadcasterId, (chatters = new Map()))
    chatters.set(userId, (chatters.get(userId) ?? 0) + messages)
  }

  return {
    count: (broadcasterId, userId, at) => add(Math.floor(at.getTime() / MINUTE) * MINUTE, broadcasterId, userId, 1),
    async flush({ all = false, now = new Date() } = {}) {
      const due = [...minutes.keys()].filter((start) => all || start + MINUTE <= now.getTime()).sort((a, b) => a - b)
      if (due.length === 0) return
      // Taken out before the write, so messages counted meanwhile start a fresh tally.
      const taken = due.map((start) => [start, minutes.get(start)!] as const)
      for (const [start] of taken) minutes.delete(start)
      try {
        await database.transaction(async (tx) => {
          for (const [start, channels] of taken) {
            for (const [broadcasterId, chatters] of channels) {
              const entries = [...chatters].map(([user_id, messages]) => ({ user_id, messages }))
              const chunks = Math.ceil(entries.length / CHATTERS_PER_EVENT)
              for (let chunk = 1; chunk <= chunks; chunk++) {
                await publish(tx, 'chat.activity.v1', {
                  broadcaster_id: broadcasterId,
                  minute: new Date(start).toISOString(),
                  chatters: entries.slice((chunk - 1) * CHATTERS_PER_EVENT, chunk * CHATTERS_PER_EVENT),
                  chunk,
                  chunks,
                })
              }
            }
          }
        })
      } catch (error) {
        // Nothing was published: the counts go back, to be tried again with what came since.
        for (const [start, channels] of taken) {
          for (const [broadcasterId, chatters] of channels) for (const [userId, n] of chatters) add(start, broadcasterId, userId, n)
        }
        throw error
      }
    },
  }
}
