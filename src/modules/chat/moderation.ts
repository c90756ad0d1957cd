import { Counter, type Registry } from 'prom-client'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import { clearchatLine, clearmsgLine, MAX_TIMEOUT_SECONDS, type Ban, type Bans } from './bans.ts'
import type { BlockedTerm, BlockedTerms } from './blocked-terms.ts'
import type { ChannelRoles, ChatRoles, RoleKind } from './chat-roles.ts'
import { chatError } from './errors.ts'
import type { Fanout } from './fanout.ts'
import type { RecentMessage, RecentMessages } from './recent-messages.ts'
import { changeLines, type RoomSettings, type RoomSettingsStore } from './room-settings.ts'

/** A channel as moderation names it: its broadcaster's id and login (`#login`). */
export type Channel = { id: string; login: string }

/** A user moderation acts on. */
export type Target = { id: string; login: string }

/** What moderators do in a channel, for chat commands and REST alike: the same checks, rows and room lines. */
export type Moderation = {
  /** The actor's roles in the channel; `chat.not_moderator` unless broadcaster or moderator. */
  requireModerator: (channelId: string, actorId: string) => Promise<ChannelRoles>
  /** `chat.not_broadcaster` for anyone but the channel's broadcaster. */
  requireBroadcaster: (channelId: string, actorId: string) => void
  /** Bans (no `seconds`) or times out, and clears the user's lines in the room (CLEARCHAT). */
  ban: (channel: Channel, actorId: string, target: Target, options: { seconds?: number; reason: string }) => Promise<Ban>
  /** Lifts a ban or timeout (`only: 'timeout'`: a timeout alone). */
  unban: (channel: Channel, actorId: string, target: Target, only?: 'timeout') => Promise<void>
  /** Deletes one message (CLEARMSG with its sender and text); what was deleted. */
  deleteMessage: (channel: Channel, actorId: string, messageId: string) => Promise<Pick<RecentMessage, 'login' | 'text'>>
  /** Clears the room's chat (CLEARCHAT without a user). */
  clear: (channel: Channel, actorId: string) => Promise<void>
  /** Changes modes, announcing each change (partial ROOMSTATE and NOTICE) to the room. */
  setModes: (channel: Channel, actorId: string, changes: Partial<RoomSettings>) => Promise<{ before: RoomSettings; after: RoomSettings }>
  /** Broadcaster only; a banned user gets neither role. */
  grant: (kind: RoleKind, channel: Channel, actorId: string, target: Target) => Promise<void>
  revoke: (kind: RoleKind, channel: Channel, actorId: string, target: Target) => Promise<void>
  addBlockedTerm: (channel: Channel, actorId: string, text: string) => Promise<BlockedTerm>
  removeBlockedTerm: (channel: Channel, actorId: string, termId: string) => Promise<void>
}

/** Actions counted in chat_moderation_actions_total{action}: a closed set, never an id. */
const ACTIONS = [
  'ban',
  'timeout',
  'unban',
  'untimeout',
  'delete',
  'clear',
  'mode',
  'mod',
  'unmod',
  'vip',
  'unvip',
  'blocked_term_add',
  'blocked_term_remove',
] as const
export type ModerationAction = (typeof ACTIONS)[number]

/** Helix refuses deleting messages older than this. */
const DELETABLE_FOR_MS = 6 * 3600 * 1000
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

type StoredMessage = { broadcaster_id: string; user_id: string; login: string | null; text: string; sent_at: Date }

/**
 * The moderation of every channel: chat commands and the REST routes both call these, so a ban
 * from either applies at once to senders on every replica (the rows are read per message, the
 * caches are dropped through pub/sub) and its lines reach every replica's room (the fan-out).
 *
 * @example
 * const moderation = createModeration({ database, roles, bans, settings, terms, recent, fanout, registry, storeIntervalMs: 250 })
 * await moderation.ban({ id: '42', login: 'ada' }, '42', { id: '7', login: 'bob' }, { seconds: 600, reason: 'spam' })
 */
export function createModeration(deps: {
  database: ModuleDatabase
  roles: ChatRoles
  bans: Bans
  settings: RoomSettingsStore
  terms: BlockedTerms
  recent: RecentMessages
  fanout: Fanout
  registry?: Registry
  /** How often accepted messages are stored: a message accepted on another replica is in chat_messages after it. */
  storeIntervalMs: number
}): Moderation {
  const { database, roles, bans, settings, terms, recent, fanout } = deps
  const actions = new Counter({
    name: 'chat_moderation_actions_total',
    help: 'Moderation actions taken, from chat commands and the REST API',
    labelNames: ['action'],
    registers: deps.registry ? [deps.registry] : [],
  })
  // Every series from the start, so the dashboard's increase() sees the first action of each.
  for (const action of ACTIONS) actions.inc({ action }, 0)
  const count = (action: ModerationAction) => actions.inc({ action })

  // To everyone in the room, on every replica, the moderator included when they joined it (as on Twitch).
  const announce = (channelId: string, lines: string[]) => {
    for (const line of lines) fanout.toRoom(channelId, line)
  }

  async function requireModerator(channelId: string, actorId: string): Promise<ChannelRoles> {
    const actor = await roles.of(channelId, actorId)
    if (!actor.broadcaster && !actor.moderator) throw chatError('chat.not_moderator', "You don't have permission to perform that action.")
    return actor
  }
  function requireBroadcaster(channelId: string, actorId: string): void {
    if (channelId !== actorId) throw chatError('chat.not_broadcaster', "Only the channel's broadcaster may do this.")
  }

  async function storedMessage(messageId: string): Promise<StoredMessage | undefined> {
    const [row] = await database.sql<StoredMessage[]>`
      select m.broadcaster_id::text, m.user_id::text, u.login, m.text, m.sent_at
        from chat_messages m left join chat_users u on u.user_id = m.user_id
       where m.id = ${messageId}::uuid`
    return row
  }

  /**
   * The message from this process's memory or the store. One accepted on another replica is
   * stored within that replica's batch interval: the store is asked again until then (and a
   * little after, for a busy replica), within tmi.js's 600 ms.
   */
  async function findMessage(messageId: string): Promise<RecentMessage | undefined> {
    if (!UUID.test(messageId)) return undefined
    const local = recent.find(messageId)
    if (local) return local
    const deadline = performance.now() + deps.storeIntervalMs + 200
    let row = await storedMessage(messageId)
    while (!row && performance.now() < deadline) {
      await Bun.sleep(50)
      row = await storedMessage(messageId)
    }
    return row && { id: messageId, broadcasterId: row.broadcaster_id, userId: row.user_id, login: row.login ?? '', text: row.text, sentAt: row.sent_at }
  }

  return {
    requireModerator,
    requireBroadcaster,

    async ban(channel, actorId, target, { seconds, reason }) {
      const actor = await requireModerator(channel.id, actorId)
      if (target.id === channel.id) throw chatError('ban.broadcaster', 'You cannot ban or time out the broadcaster.')
      if (target.id === actorId) throw chatError('ban.self', 'You cannot ban or time out yourself.')
      if (!actor.broadcaster && (await roles.of(channel.id, target.id)).moderator) {
        throw chatError('ban.moderator', `You cannot ban or time out moderator ${target.login} unless you are the owner of this channel.`)
      }
      if (seconds !== undefined && !(Number.isInteger(seconds) && seconds >= 1 && seconds <= MAX_TIMEOUT_SECONDS)) {
        throw chatError('ban.duration', `A timeout lasts 1 to ${MAX_TIMEOUT_SECONDS} seconds (two weeks).`)
      }
      const now = new Date()
      const ban = await bans.ban(channel.id, target.id, { moderatorId: actorId, reason, seconds, now })
      if (ban === 'already_banned') throw chatError('ban.already_banned', `${target.login} is already banned in this channel.`)
      count(seconds === undefined ? 'ban' : 'timeout')
      announce(channel.id, [clearchatLine(channel.login, channel.id, now, { login: target.login, userId: target.id, seconds })])
      return ban
    },

    async unban(channel, actorId, target, only) {
      await requireModerator(channel.id, actorId)
      const outcome = await bans.lift(channel.id, target.id, new Date(), only)
      if (outcome === 'not_banned') throw chatError('ban.not_banned', `${target.login} is not banned from this channel.`)
      if (outcome === 'permanent') throw chatError('ban.permanent', `${target.login} is permanently banned. Use "/unban" to remove a ban.`)
      count(only === 'timeout' ? 'untimeout' : 'unban')
    },

    async deleteMessage(channel, actorId, messageId) {
      const actor = await requireModerator(channel.id, actorId)
      const message = await findMessage(messageId)
      if (!message || message.broadcasterId !== channel.id) throw chatError('message.not_found', 'No message with this id in this channel.')
      if (message.userId === channel.id && !actor.broadcaster) throw chatError('message.broadcaster', "You cannot delete the broadcaster's messages.")
      if (!actor.broadcaster && message.userId !== actorId && (await roles.of(channel.id, message.userId)).moderator) {
        throw chatError('message.moderator', `You cannot delete messages from another moderator ${message.login}.`)
      }
      const now = new Date()
      if (now.getTime() - message.sentAt.getTime() > DELETABLE_FOR_MS) throw chatError('message.too_old', 'Messages older than 6 hours cannot be deleted.')
      // Not yet stored (its batch is still to be written): stored here, deleted; the batch's insert then does nothing.
      await database.sql`
        insert into chat_messages (id, broadcaster_id, user_id, text, sent_at, reply_parent_id, deleted_at)
        values (${message.id}::uuid, ${message.broadcasterId}::bigint, ${message.userId}::bigint, ${message.text}, ${message.sentAt},
                ${message.replyParentId ?? null}::uuid, ${now})
        on conflict (id) do update set deleted_at = coalesce(chat_messages.deleted_at, excluded.deleted_at)`
      count('delete')
      announce(channel.id, [clearmsgLine(channel.login, channel.id, now, message)])
      return { login: message.login, text: message.text }
    },

    async clear(channel, actorId) {
      await requireModerator(channel.id, actorId)
      count('clear')
      announce(channel.id, [clearchatLine(channel.login, channel.id, new Date())])
    },

    async setModes(channel, actorId, changes) {
      await requireModerator(channel.id, actorId)
      const result = await settings.update(channel.id, changes)
      const lines = changeLines(channel.login, channel.id, result.before, result.after)
      if (lines.length > 0) count('mode')
      announce(channel.id, lines)
      return result
    },

    async grant(kind, channel, actorId, target) {
      requireBroadcaster(channel.id, actorId)
      if (target.id === channel.id) throw chatError(kind === 'moderator' ? 'moderator.already' : 'vip.already', `${target.login} is the broadcaster.`)
      if (await bans.active(channel.id, target.id, new Date())) {
        throw chatError(kind === 'moderator' ? 'moderator.banned' : 'vip.banned', `${target.login} is banned from this channel. You must first unban them.`)
      }
      const outcome = await roles.grant(kind, channel.id, target.id)
      if (kind === 'moderator' && outcome === 'already') throw chatError('moderator.already', `${target.login} is already a moderator of this channel.`)
      if (kind === 'vip' && outcome === 'already') throw chatError('vip.already', `${target.login} is already a VIP of this channel.`)
      if (outcome === 'moderator') throw chatError('vip.moderator', `${target.login} is a moderator. To make them a VIP, you must first remove them as a moderator.`)
      count(kind === 'moderator' ? 'mod' : 'vip')
    },

    async revoke(kind, channel, actorId, target) {
      requireBroadcaster(channel.id, actorId)
      if (!(await roles.revoke(kind, channel.id, target.id))) {
        throw kind === 'moderator'
          ? chatError('moderator.not_moderator', `${target.login} is not a moderator of this channel.`)
          : chatError('vip.not_vip', `${target.login} is not a VIP of this channel.`)
      }
      count(kind === 'moderator' ? 'unmod' : 'unvip')
    },

    async addBlockedTerm(channel, actorId, text) {
      await requireModerator(channel.id, actorId)
      const term = await terms.add(channel.id, actorId, text)
      count('blocked_term_add')
      return term
    },

    async removeBlockedTerm(channel, actorId, termId) {
      await requireModerator(channel.id, actorId)
      if (!UUID.test(termId) || !(await terms.remove(channel.id, termId))) throw chatError('blocked_term.not_found', 'No blocked term with this id in this channel.')
      count('blocked_term_remove')
    },
  }
}
