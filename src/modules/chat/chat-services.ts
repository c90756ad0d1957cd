import type { ChannelRoles } from './chat-roles.ts'
import type { CommandContext } from './commands/index.ts'
import type { RecentMessage } from './recent-messages.ts'
import type { MessageCheck, Refusal } from './rules.ts'

// Moderation's types, named here too for the connection's side of the seam.
export type { ChannelRoles, CommandContext, MessageCheck, Refusal }
/** An accepted message as it is stored and as moderation finds it to delete it. */
export type AcceptedMessage = RecentMessage

/** A subscriber of a channel as badges show them (events' subscribers projection). */
export type Subscriber = { tier: '1000' | '2000' | '3000'; months: number; founder?: boolean }

/**
 * What the connection asks of the rest of the module: room modes, roles, subscriptions,
 * emotes, moderation and activity. Each has a working default here (modes off, no roles but the
 * broadcaster's, no emotes, nothing refused, unknown commands) that the module's index.ts
 * replaces with the real one, so each piece lands on its own.
 */
export type ChatServices = {
  /** The full ROOMSTATE sent on JOIN (moderation's `roomstateLine` with the room's settings). */
  roomstate: (channelLogin: string, broadcasterId: string) => Promise<string>
  roles: (broadcasterId: string, userId: string) => Promise<ChannelRoles>
  subscriber: (broadcasterId: string, userId: string) => Promise<Subscriber | undefined>
  /** The `emotes` tag of `text` (code points; `/me`'s ACTION prefix not counted) and whether it is only emotes. */
  emotes: (text: string, broadcasterId: string, tier: Subscriber['tier'] | undefined) => Promise<{ tag: string; onlyEmotes: boolean }>
  /** The room's non-moderator chat delay in seconds (2, 4 or 6), 0 when off. */
  chatDelay: (broadcasterId: string) => Promise<number>
  /** The refusal of the message (Twitch's `msg-id`), undefined when it may go out. */
  checkMessage: (input: MessageCheck) => Promise<Refusal | undefined>
  runCommand: (context: CommandContext) => Promise<void>
  /** Hands an accepted message to those who act on it before it is stored (moderation's recent messages, for deletions). */
  remember: (message: AcceptedMessage) => void
  /** A message this process accepted lately, for reply threads (the stored ones are read from chat_messages). */
  findRecent: (id: string) => AcceptedMessage | undefined
  /** Counts an accepted message for the per-minute activity. */
  count: (broadcasterId: string, userId: string, at: Date) => void
}

/** A full ROOMSTATE with every mode off, until moderation's room settings answer. */
const roomstateOff = (channelLogin: string, broadcasterId: string) =>
  `@emote-only=0;followers-only=-1;r9k=0;room-id=${broadcasterId};slow=0;subs-only=0 :tmi.twitch.tv ROOMSTATE #${channelLogin}`

export const defaultServices: ChatServices = {
  roomstate: async (channelLogin, broadcasterId) => roomstateOff(channelLogin, broadcasterId),
  roles: async (broadcasterId, userId) => ({ broadcaster: broadcasterId === userId, moderator: false, vip: false }),
  subscriber: async () => undefined,
  emotes: async () => ({ tag: '', onlyEmotes: false }),
  chatDelay: async () => 0,
  checkMessage: async () => undefined,
  runCommand: async ({ channelLogin, name, reply }) =>
    reply(`@msg-id=unrecognized_cmd :tmi.twitch.tv NOTICE #${channelLogin} :Unrecognized command: /${name}`),
  remember: () => {},
  findRecent: () => undefined,
  count: () => {},
}
