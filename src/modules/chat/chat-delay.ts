import type { ModuleSocket } from '../../platform/sockets/types.ts'
import type { Fanout } from './fanout.ts'
import { parseLine } from './irc/message.ts'

/** Messages held back at once in one process (a chat delay is 6 s at most); past it a held message is refused. */
export const MAX_HELD = 10_000

/** A message waiting out its room's non-moderator chat delay. */
export type HeldMessage = { id: string; broadcasterId: string; userId: string; line: string; sender: ModuleSocket<{ closed: boolean }> }

export type ChatDelay = {
  /** Sends the message to the room in `seconds`; false (nothing held) when MAX_HELD are waiting already. */
  hold: (message: HeldMessage, seconds: number) => boolean
  /** Resolves once every held message has gone out at its time, or been dropped (shutdown waits on it). */
  drain: () => Promise<void>
}

/**
 * Twitch's non-moderator chat delay: a message goes at once to the room's moderating connections
 * (broadcaster and moderators, as of their JOIN) and waits its room's 2, 4 or 6 seconds before it
 * reaches the others, so moderators act first. A CLEARMSG of it, or a CLEARCHAT of its sender
 * (ban, timeout) or of the room, from any replica, drops it: the others never get it. Each waits
 * on a timer of its own, at most MAX_HELD of them.
 *
 * @example
 * const delay = createChatDelay(fanout)
 * if (!delay.hold({ id, broadcasterId: '42', userId: '7', line, sender: ws }, 4)) refuse()
 */
export function createChatDelay(fanout: Fanout): ChatDelay {
  const held = new Map<string, HeldMessage & { timer: ReturnType<typeof setTimeout> }>()
  let drained: (() => void) | undefined

  const settle = (id: string) => {
    held.delete(id)
    if (held.size === 0) drained?.()
  }
  const deliver = (id: string) => {
    const message = held.get(id)
    if (message === undefined) return
    settle(id)
    // The sender is not echoed, unless it has gone: a closed socket's publish reaches nobody.
    fanout.toRoom(message.broadcasterId, message.line, { audience: 'viewers', ...(!message.sender.data.closed && { except: message.sender }) })
  }
  const drop = (id: string) => {
    clearTimeout(held.get(id)?.timer)
    settle(id)
  }

  fanout.watch((broadcasterId, line) => {
    const cleared = parseLine(line)
    if (cleared?.command === 'CLEARMSG') {
      const id = cleared.tags['target-msg-id']
      if (id !== undefined && held.get(id)?.broadcasterId === broadcasterId) drop(id)
    } else if (cleared?.command === 'CLEARCHAT') {
      const target = cleared.tags['target-user-id']
      for (const message of [...held.values()]) {
        if (message.broadcasterId === broadcasterId && (target === undefined || message.userId === target)) drop(message.id)
      }
    }
  })

  return {
    hold(message, seconds) {
      if (held.size >= MAX_HELD) return false
      held.set(message.id, { ...message, timer: setTimeout(() => deliver(message.id), seconds * 1000) })
      // Moderators see it at once: the delay is their head start.
      fanout.toRoom(message.broadcasterId, message.line, { audience: 'moderators', except: message.sender })
      return true
    },
    drain: () => (held.size === 0 ? Promise.resolve() : new Promise((resolve) => (drained = resolve))),
  }
}
