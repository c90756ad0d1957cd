import { Histogram, type Registry } from 'prom-client'
import type { ModulePubSub } from '../../platform/pubsub/types.ts'
import type { ModuleSocket, SocketServer } from '../../platform/sockets/types.ts'
import { CRLF } from './irc/replies.ts'

/** Where chat lines go: every connection in a room, or every connection of a user, on every replica. */
export type Fanout = {
  /** To every connection in the room of `broadcasterId` but `except` (a sender is not echoed). */
  toRoom: (broadcasterId: string, line: string, options?: { except?: ModuleSocket<unknown> }) => void
  /** To every connection of `userId` (whispers, a user's own state). */
  toUser: (userId: string, line: string) => void
  /** Stops taking other replicas' lines. */
  close: () => void
}

/** The socket topics a connection subscribes to: its rooms and itself. */
export const roomTopic = (broadcasterId: string) => `room:${broadcasterId}`
export const userTopic = (userId: string) => `user:${userId}`

/** A line between replicas: its origin (which delivered it already), the topic and the line. */
type Envelope = { o: string; t: string; l: string }

const CHANNEL = 'fanout'

/**
 * Fan-out through Bun's native publish within the process, and through the module's pub/sub to
 * the other replicas, each of which publishes it to its own sockets. The origin replica skips
 * its own envelope when pub/sub hands it back. Times each local publish into
 * `chat_fanout_duration_seconds`.
 *
 * @example
 * const fanout = createFanout(context.sockets, context.pubsub, context.metrics.registry)
 * fanout.toRoom('141981764', '@… :ada!ada@ada.tmi.twitch.tv PRIVMSG #ada :hi', { except: ws })
 */
export function createFanout(sockets: SocketServer, pubsub: ModulePubSub, registry?: Registry): Fanout {
  const replica = crypto.randomUUID()
  const duration = new Histogram({
    name: 'chat_fanout_duration_seconds',
    help: "Time to hand one chat line to every local socket of its room or user (Bun's publish)",
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
    registers: registry ? [registry] : [],
  })

  const local = (topic: string, line: string, except: ModuleSocket<unknown> | undefined) => {
    const started = performance.now()
    // Ended with CRLF, as every frame chat sends (twurple waits for it).
    const frame = line + CRLF
    if (except) except.publish(topic, frame)
    else sockets.publish(topic, frame)
    duration.observe((performance.now() - started) / 1000)
  }
  const send = (topic: string, line: string, except?: ModuleSocket<unknown>) => {
    local(topic, line, except)
    void pubsub.publish(CHANNEL, JSON.stringify({ o: replica, t: topic, l: line } satisfies Envelope))
  }
  const unsubscribe = pubsub.subscribe(CHANNEL, (message) => {
    let envelope: Envelope
    try {
      envelope = JSON.parse(message) as Envelope
    } catch {
      return
    }
    if (envelope.o === replica || typeof envelope.t !== 'string' || typeof envelope.l !== 'string') return
    local(envelope.t, envelope.l, undefined)
  })

  return {
    toRoom: (broadcasterId, line, options) => send(roomTopic(broadcasterId), line, options?.except),
    toUser: (userId, line) => send(userTopic(userId), line),
    close: unsubscribe,
  }
}
