import type { Logger } from 'pino'
import type { MessageHandler } from './types.ts'

/**
 * Handlers per channel, shared by both transports: `add` says whether the channel is new (so
 * the transport subscribes it), the unsubscribe whether it is now empty (so it unsubscribes).
 * Each subscription is its own entry, so one function subscribed twice is two subscriptions.
 */
export function createSubscribers(log: Logger) {
  const channels = new Map<string, Set<{ handler: MessageHandler }>>()
  return {
    add(channel: string, handler: MessageHandler, onFirst: () => void, onLast: () => void): () => void {
      let entries = channels.get(channel)
      if (entries === undefined) {
        channels.set(channel, (entries = new Set()))
        onFirst()
      }
      const entry = { handler }
      entries.add(entry)
      return () => {
        if (!entries.delete(entry) || entries.size > 0 || channels.get(channel) !== entries) return
        channels.delete(channel)
        onLast()
      }
    },
    deliver(channel: string, message: string): void {
      const entries = channels.get(channel)
      if (entries === undefined) return
      for (const { handler } of entries) {
        try {
          handler(message)
        } catch (error) {
          log.error({ err: error, channel }, 'pub/sub handler failed')
        }
      }
    },
  }
}
