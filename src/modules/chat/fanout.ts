import { Histogram, type Registry } from 'prom-client'
import type { ModulePubSub } from '../../platform/pubsub/types.ts'
import type { ModuleSocket, SocketServer } from '../../platform/sockets/types.ts'
import { capabilitiesNeeded, COMMANDS, MEMBERSHIP, MODERATES, SETS_HOLDING, TAGS, VIEWER_SETS_HOLDING, withoutTags } from './irc/capabilities.ts'
import { CRLF } from './irc/replies.ts'

/** Where chat lines go: every connection in a room, or every connection of a user, on every replica. */
export type Fanout = {
  /**
   * To every connection in the room of `broadcasterId` but `except` (a sender is not echoed), as
   * each one's capabilities take it; `audience` narrows it to the room's moderating connections or to the others.
   */
  toRoom: (broadcasterId: string, line: string, options?: { except?: ModuleSocket<unknown>; audience?: Audience }) => void
  /** Other users' JOIN and PART lines, in one frame, to the room's connections holding twitch.tv/membership. */
  toMembers: (broadcasterId: string, lines: string[]) => void
  /** To every connection of `userId` (whispers). */
  toUser: (userId: string, line: string) => void
  /** Connections of this process in the room, whatever their capabilities. */
  roomSize: (broadcasterId: string) => number
  /** Calls `listener` with every Twitch command line (CLEARCHAT, CLEARMSG…) sent to a room, from any replica. */
  watch: (listener: (broadcasterId: string, line: string) => void) => void
  /** Stops taking other replicas' lines. */
  close: () => void
}

type Kind = 'room' | 'user'
/** Who in a room: its moderating connections (broadcaster, moderators), the others, or all when unsaid. */
export type Audience = 'moderators' | 'viewers'

/**
 * The socket topic of a room or a user for one capability set: a connection subscribes to its
 * own set's topic, so a line is published once per set that takes it, never per socket.
 */
export const roomTopic = (broadcasterId: string, caps: number) => `room:${broadcasterId}:${caps}`
export const userTopic = (userId: string, caps: number) => `user:${userId}:${caps}`
/** A connection's topic in a room it joined: its capabilities, and whether it moderates the room. */
export const joinedTopic = (room: { broadcasterId: string; moderates: boolean }, caps: number) => roomTopic(room.broadcasterId, room.moderates ? caps | MODERATES : caps)

/** A line between replicas: its origin (which delivered it already), where it goes, to whom, and the line. */
type Envelope = { o: string; k: Kind; i: string; m: boolean; a?: Audience; l: string }

/** The sets a line needing `needed` goes to, for its audience (users' topics have no moderating sets). */
function setsFor(kind: Kind, needed: number, audience: Audience | undefined): readonly number[] {
  if (kind === 'user' || audience === 'viewers') return VIEWER_SETS_HOLDING[needed]!
  return SETS_HOLDING[audience === 'moderators' ? needed | MODERATES : needed]!
}

const CHANNEL = 'fanout'

/**
 * Fan-out through Bun's native publish within the process — one publish per capability set
 * with subscribers, the tagless copy made once — and through the module's pub/sub to the other
 * replicas, each of which publishes it to its own sockets. The origin replica skips its own
 * envelope when pub/sub hands it back. Times each local delivery into
 * `chat_fanout_duration_seconds`.
 *
 * @example
 * const fanout = createFanout(context.sockets, context.pubsub, context.metrics.registry)
 * fanout.toRoom('141981764', '@… :ada!ada@ada.tmi.twitch.tv PRIVMSG #ada :hi', { except: ws })
 */
export function createFanout(sockets: SocketServer, pubsub: ModulePubSub, registry?: Registry): Fanout {
  const replica = crypto.randomUUID()
  const watchers: ((broadcasterId: string, line: string) => void)[] = []
  const duration = new Histogram({
    name: 'chat_fanout_duration_seconds',
    help: "Time to hand one chat line to every local socket of its room or user (Bun's publish)",
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
    registers: registry ? [registry] : [],
  })

  // Each room's and user's topic names, made once (a line looks up to 16 sets): the 10 000 used last kept.
  const names = new Map<string, string[]>()
  const topicsOf = (kind: Kind, id: string) => {
    const key = `${kind}:${id}`
    let topics = names.get(key)
    if (topics === undefined) {
      const topicOf = kind === 'room' ? roomTopic : userTopic
      topics = SETS_HOLDING[0]!.map((caps) => topicOf(id, caps))
      if (names.size >= 10_000) names.delete(names.keys().next().value!)
    }
    names.delete(key)
    names.set(key, topics)
    return topics
  }

  const local = (envelope: Omit<Envelope, 'o'>, except: ModuleSocket<unknown> | undefined) => {
    const started = performance.now()
    const { k: kind, i: id, l: line } = envelope
    const needed = envelope.m ? MEMBERSHIP : capabilitiesNeeded(line)
    const topics = topicsOf(kind, id)
    // Ended with CRLF, as every frame chat sends (twurple waits for it).
    const tagged = line + CRLF
    let bare: string | undefined
    for (const caps of setsFor(kind, needed, envelope.a)) {
      const topic = topics[caps]!
      if (sockets.subscriberCount(topic) === 0) continue
      const frame = caps & TAGS ? tagged : (bare ??= withoutTags(line) + CRLF)
      if (except) except.publish(topic, frame)
      else sockets.publish(topic, frame)
    }
    duration.observe((performance.now() - started) / 1000)
    if (kind === 'room' && needed === COMMANDS) for (const watcher of watchers) watcher(id, line)
  }
  const send = (envelope: Omit<Envelope, 'o'>, except?: ModuleSocket<unknown>) => {
    local(envelope, except)
    void pubsub.publish(CHANNEL, JSON.stringify({ o: replica, ...envelope } satisfies Envelope))
  }
  const unsubscribe = pubsub.subscribe(CHANNEL, (message) => {
    let envelope: Envelope
    try {
      envelope = JSON.parse(message) as Envelope
    } catch {
      return
    }
    if (envelope.o === replica || (envelope.k !== 'room' && envelope.k !== 'user') || typeof envelope.i !== 'string' || typeof envelope.l !== 'string') return
    const audience = envelope.a === 'moderators' || envelope.a === 'viewers' ? envelope.a : undefined
    local({ k: envelope.k, i: envelope.i, m: envelope.m === true, ...(audience && { a: audience }), l: envelope.l }, undefined)
  })

  return {
    toRoom: (broadcasterId, line, options) =>
      send({ k: 'room', i: broadcasterId, m: false, ...(options?.audience && { a: options.audience }), l: line }, options?.except),
    toMembers: (broadcasterId, lines) => send({ k: 'room', i: broadcasterId, m: true, l: lines.join(CRLF) }),
    toUser: (userId, line) => send({ k: 'user', i: userId, m: false, l: line }),
    roomSize: (broadcasterId) => SETS_HOLDING[0]!.reduce((size, caps) => size + sockets.subscriberCount(roomTopic(broadcasterId, caps)), 0),
    watch: (listener) => void watchers.push(listener),
    close: unsubscribe,
  }
}
