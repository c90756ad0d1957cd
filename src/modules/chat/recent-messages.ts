/** An accepted message as a deletion needs it: who sent it where, and what it said. */
export type RecentMessage = {
  id: string
  broadcasterId: string
  userId: string
  login: string
  text: string
  sentAt: Date
  replyParentId?: string
}

export type RecentMessages = {
  /** Called for each message this process accepts (before its batch is stored). */
  remember: (message: RecentMessage) => void
  find: (id: string) => RecentMessage | undefined
}

/**
 * The last `capacity` messages this process accepted, so a moderator can delete one that the
 * batch writer has not stored yet (CLEARMSG carries its sender and text). Messages accepted on
 * another replica are found in chat_messages once that replica's batch is written.
 *
 * @example
 * const recent = createRecentMessages()
 * recent.remember({ id, broadcasterId: '42', userId: '7', login: 'bob', text: 'hi', sentAt: new Date() })
 * recent.find(id)?.text // 'hi'
 */
export function createRecentMessages(capacity = 10_000): RecentMessages {
  const messages = new Map<string, RecentMessage>()
  return {
    remember(message) {
      messages.set(message.id, message)
      if (messages.size > capacity) {
        const oldest = messages.keys().next().value
        if (oldest !== undefined) messages.delete(oldest)
      }
    },
    find: (id) => messages.get(id),
  }
}
