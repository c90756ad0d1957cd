import type { Logger } from 'pino'
import type { Counter } from 'prom-client'
import type { AccessTokenVerifier } from '../../platform/auth/tokens.ts'
import type { ModuleSocket } from '../../platform/sockets/types.ts'
import type { ChatDelay } from './chat-delay.ts'
import type { Chatters } from './chatters.ts'
import type { ChatServices } from './chat-services.ts'
import type { ChatUser, ChatUsers } from './chat-users.ts'
import type { ChatSettings } from './environment.ts'
import type { Fanout } from './fanout.ts'
import type { Membership } from './membership.ts'
import type { MessageStore } from './message-store.ts'

/** A room: its channel's login (`#ada`'s `ada`) and broadcaster. */
export type Room = { login: string; broadcasterId: string }
/** A room a connection is in, and whether it moderated it when it joined (the chat delay shows it held messages at once). */
export type JoinedRoom = Room & { moderates: boolean }

/** One chat socket's state, from the upgrade to the close. */
export type ChatConnection = {
  id: string
  /** As the client gave it with NICK (lowercased); its login once registered. */
  nick: string | undefined
  /** PASS's token, `oauth:` removed; forgotten once checked. */
  password: string | undefined
  /** The signed-in user; undefined for an anonymous `justinfan…` (read-only) and before NICK. */
  user: ChatUser | undefined
  /** The session of the token the user signed in with: its revocation ends the connection. */
  sessionId: string | undefined
  registered: boolean
  /** The Twitch capabilities acknowledged so far (irc/capabilities.ts bits): what the connection is sent. */
  caps: number
  /** Set once the socket closed: a message held back for the room's chat delay is then published without excluding it. */
  closed: boolean
  rooms: Map<string, JoinedRoom>
  /** Times (ms) of this connection's accepted messages in the last 30 s, across rooms: the rate limit. */
  sent: number[]
  /** The last accepted text per room, for `msg_duplicate`. */
  lastText: Map<string, { text: string; at: number }>
  openedAt: number
  /** When a line last arrived (ms); the server pings a connection silent for the ping interval. */
  heardAt: number
  pinged: boolean
  /** Lines run one at a time, in order: the tail of that chain, and how many wait on it. */
  tail: Promise<void>
  waiting: number
}

export type ChatSocket = ModuleSocket<ChatConnection>

/** What the line handlers share: the module's stores, its collaborators and its fan-out. */
export type ChatContext = {
  settings: ChatSettings
  users: ChatUsers
  services: ChatServices
  fanout: Fanout
  /** Other users' JOIN and PART, batched for twitch.tv/membership connections. */
  membership: Membership
  /** Messages waiting out their room's non-moderator chat delay. */
  delay: ChatDelay
  store: MessageStore
  chatters: Chatters
  verifyAccessToken: AccessTokenVerifier
  sessionRevoked: (sessionId: string) => boolean
  log: Logger
  /** `chat_messages_total`: accepted messages. */
  accepted: Counter
}
