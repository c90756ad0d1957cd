import { DomainError } from '../../../platform/errors.ts'
import { MAX_TIMEOUT_SECONDS } from '../bans.ts'
import type { ChatRoles, RoleKind } from '../chat-roles.ts'
import type { ChatUser, ChatUsers } from '../chat-users.ts'
import { chatError } from '../errors.ts'
import type { Fanout } from '../fanout.ts'
import { noticeLine } from '../irc/replies.ts'
import type { Channel, Moderation, Target } from '../moderation.ts'
import { roomstateLine, ROOM_SETTING_LIMITS, type RoomSettings, type RoomSettingsStore } from '../room-settings.ts'
import { parseDuration } from './durations.ts'
import { refusalOf } from './refusals.ts'

/** A chat command other than /me, /color and /w, as the connection hands it over. */
export type CommandContext = {
  broadcasterId: string
  channelLogin: string
  sender: ChatUser
  /** Without its `/` or `.`, lowercased: `ban`. */
  name: string
  args: string[]
  /** Sends one line to the connection that typed the command. */
  reply: (line: string) => void
  fanout: Fanout
}

/** A command's answer to its sender: Twitch's NOTICE. */
type Answer = { msgId: string; text: string }
type Command = (context: CommandContext, channel: Channel) => Promise<Answer | undefined>

const USAGE: Record<string, string> = {
  ban: 'Usage: "/ban <username> [reason]" - Permanently prevent a user from chatting. Use "/unban" to remove a ban.',
  unban: 'Usage: "/unban <username>" - Removes a ban on a user.',
  timeout: `Usage: "/timeout <username> [duration][time unit] [reason]" - Temporarily prevent a user from chatting. Duration (optional, default=10 minutes) must be 1 second to 2 weeks (${MAX_TIMEOUT_SECONDS} seconds).`,
  untimeout: 'Usage: "/untimeout <username>" - Removes a timeout on a user.',
  delete: 'Usage: "/delete <msg id>" - Deletes the specified message.',
  slow: 'Usage: "/slow [duration]" - Enables slow mode. Duration (optional, default=30) must be 3 to 120 seconds.',
  followers: 'Usage: "/followers [duration]" - Enables followers-only mode. Duration (optional, default=0) must be 0 minutes to 3 months.',
  mod: 'Usage: "/mod <username>" - Grant moderator status to a user.',
  unmod: 'Usage: "/unmod <username>" - Revoke moderator status from a user.',
  vip: 'Usage: "/vip <username>" - Grant VIP status to a user.',
  unvip: 'Usage: "/unvip <username>" - Revoke VIP status from a user.',
}
const USAGE_IDS: Record<string, string> = { slow: 'usage_slow_on', followers: 'usage_followers_on' }
const usage = (command: string): Answer => ({ msgId: USAGE_IDS[command] ?? `usage_${command}`, text: USAGE[command]! })

// Twitch's "already" refusals of the on/off modes tmi.js settles on NOTICEs.
const ALREADY: Partial<Record<keyof RoomSettings, [on: Answer, off: Answer]>> = {
  subscriberMode: [
    { msgId: 'already_subs_on', text: 'This room is already in subscribers-only mode.' },
    { msgId: 'already_subs_off', text: 'This room is not in subscribers-only mode.' },
  ],
  emoteMode: [
    { msgId: 'already_emote_only_on', text: 'This room is already in emote-only mode.' },
    { msgId: 'already_emote_only_off', text: 'This room is not in emote-only mode.' },
  ],
  uniqueChatMode: [
    { msgId: 'already_r9k_on', text: 'This room is already in unique-chat mode.' },
    { msgId: 'already_r9k_off', text: 'This room is not in unique-chat mode.' },
  ],
}

/**
 * Twitch's moderation commands, answered with the lines that settle tmi.js 1.8.5's promises:
 * bans, roles and lists on their NOTICE (`ban_success`, `room_mods`…), subscribers-only,
 * emote-only and unique chat on the room's NOTICE (`subs_on`…), slow and followers-only on the
 * room's partial ROOMSTATE; refusals with Twitch's `msg-id`s, unknown commands with
 * `unrecognized_cmd`.
 *
 * @example
 * const runCommand = createCommands({ moderation, users, roles, settings })
 * await runCommand({ broadcasterId: '42', channelLogin: 'ada', sender, name: 'timeout', args: ['bob', '10m'], reply, fanout })
 */
export function createCommands(deps: { moderation: Moderation; users: ChatUsers; roles: ChatRoles; settings: RoomSettingsStore }) {
  const { moderation, users, roles, settings } = deps

  /** The user a command names (`bob` or `@bob`); `invalid_user` for nobody. */
  async function targetOf(login: string): Promise<Target> {
    const user = await users.byLogin(login.replace(/^@/, '').toLowerCase())
    if (!user) throw chatError('chat.user_not_found', `Invalid username: ${login}`)
    return { id: user.id, login: user.login }
  }

  const onTarget =
    (command: string, act: (channel: Channel, actorId: string, target: Target, rest: string[]) => Promise<string>): Command =>
    async (context, channel) => {
      const [login, ...rest] = context.args
      if (!login) return usage(command)
      const target = await targetOf(login)
      return { msgId: `${command}_success`, text: await act(channel, context.sender.id, target, rest) }
    }

  /** An on/off mode tmi.js settles on the room's NOTICE: the change's NOTICE reaches the room, a no-op is refused. */
  const toggle =
    (key: 'subscriberMode' | 'emoteMode' | 'uniqueChatMode', on: boolean): Command =>
    async (context, channel) => {
      const { before } = await moderation.setModes(channel, context.sender.id, { [key]: on })
      return before[key] === on ? ALREADY[key]![on ? 0 : 1] : undefined
    }

  /** A mode tmi.js settles on ROOMSTATE: a no-op is answered with the mode's ROOMSTATE to the sender alone. */
  const setTimed =
    (key: 'slowModeWaitTime' | 'followerModeDuration', value: number | null): Command =>
    async (context, channel) => {
      const { before, after } = await moderation.setModes(channel, context.sender.id, { [key]: value })
      if (before[key] === after[key]) context.reply(roomstateLine(channel.login, channel.id, after, [key]))
      return undefined
    }

  const roleList = (kind: RoleKind, some: (logins: string[]) => Answer, none: Answer): Command => async (_context, channel) => {
    const holders = await roles.list(kind, channel.id, { first: 100 })
    return holders.length > 0 ? some(holders.map((h) => h.login)) : none
  }

  const grant = (kind: RoleKind, words: string) =>
    onTarget(kind === 'moderator' ? 'mod' : 'vip', async (channel, actorId, target) => {
      await moderation.grant(kind, channel, actorId, target)
      return `You have added ${target.login} as a ${words} of this channel.`
    })
  const revoke = (kind: RoleKind, words: string) =>
    onTarget(kind === 'moderator' ? 'unmod' : 'unvip', async (channel, actorId, target) => {
      await moderation.revoke(kind, channel, actorId, target)
      return `You have removed ${target.login} as a ${words} of this channel.`
    })

  const commands: Record<string, Command> = {
    ban: onTarget('ban', async (channel, actorId, target, rest) => {
      await moderation.ban(channel, actorId, target, { reason: rest.join(' ').trim() })
      return `${target.login} is now banned from this channel.`
    }),
    timeout: async (context, channel) => {
      const [login, duration, ...rest] = context.args
      if (!login) return usage('timeout')
      const seconds = duration === undefined ? 600 : parseDuration(duration, 1)
      // Not a duration: the default ten minutes, the word part of the reason (tmi.js sends `/timeout bob 300 `).
      const reason = (seconds === undefined && duration !== undefined ? [duration, ...rest] : rest).join(' ').trim()
      const target = await targetOf(login)
      const lasting = seconds ?? 600
      await moderation.ban(channel, context.sender.id, target, { seconds: lasting, reason })
      return { msgId: 'timeout_success', text: `${target.login} has been timed out for ${lasting} seconds.` }
    },
    unban: onTarget('unban', async (channel, actorId, target) => {
      await moderation.unban(channel, actorId, target)
      return `${target.login} is no longer banned from this chat room.`
    }),
    untimeout: onTarget('untimeout', async (channel, actorId, target) => {
      await moderation.unban(channel, actorId, target, 'timeout')
      return `${target.login} is no longer timed out in this channel.`
    }),
    delete: async (context, channel) => {
      const [messageId] = context.args
      if (!messageId) return usage('delete')
      const deleted = await moderation.deleteMessage(channel, context.sender.id, messageId)
      return { msgId: 'delete_message_success', text: `The message from ${deleted.login} is now deleted.` }
    },
    // tmi.js settles /clear on the room's CLEARCHAT.
    clear: async (context, channel) => void (await moderation.clear(channel, context.sender.id)),
    slow: async (context, channel) => {
      const seconds = context.args[0] === undefined ? 30 : parseDuration(context.args[0], 1)
      const { min, max } = ROOM_SETTING_LIMITS.slowModeWaitTime
      if (seconds === undefined || seconds < min || seconds > max) return usage('slow')
      return setTimed('slowModeWaitTime', seconds)(context, channel)
    },
    slowoff: setTimed('slowModeWaitTime', null),
    followers: async (context, channel) => {
      const typed = context.args.join(' ')
      const seconds = typed === '' ? 0 : parseDuration(typed, 60)
      const { max } = ROOM_SETTING_LIMITS.followerModeDuration
      if (seconds === undefined || seconds % 60 !== 0 || seconds / 60 > max) return usage('followers')
      return setTimed('followerModeDuration', seconds / 60)(context, channel)
    },
    followersoff: setTimed('followerModeDuration', null),
    subscribers: toggle('subscriberMode', true),
    subscribersoff: toggle('subscriberMode', false),
    emoteonly: toggle('emoteMode', true),
    emoteonlyoff: toggle('emoteMode', false),
    r9kbeta: toggle('uniqueChatMode', true),
    r9kbetaoff: toggle('uniqueChatMode', false),
    uniquechat: toggle('uniqueChatMode', true),
    uniquechatoff: toggle('uniqueChatMode', false),
    mod: grant('moderator', 'moderator'),
    unmod: revoke('moderator', 'moderator'),
    vip: grant('vip', 'VIP'),
    unvip: revoke('vip', 'VIP'),
    mods: roleList(
      'moderator',
      (logins) => ({ msgId: 'room_mods', text: `The moderators of this channel are: ${logins.join(', ')}` }),
      { msgId: 'no_mods', text: 'There are no moderators of this channel.' },
    ),
    vips: roleList('vip', (logins) => ({ msgId: 'vips_success', text: `The VIPs of this channel are: ${logins.join(', ')}.` }), {
      msgId: 'no_vips',
      text: 'This channel does not have any VIPs.',
    }),
  }

  /** Runs one command; a refusal is answered as Twitch does, anything else (a failure) is thrown for the connection to log. */
  return async function runCommand(context: CommandContext): Promise<void> {
    const channelTarget = `#${context.channelLogin}`
    const command = commands[context.name]
    if (!command) {
      context.reply(noticeLine(channelTarget, `Unrecognized command: /${context.name}`, 'unrecognized_cmd'))
      return
    }
    try {
      const answer = await command(context, { id: context.broadcasterId, login: context.channelLogin })
      if (answer) context.reply(noticeLine(channelTarget, answer.text, answer.msgId))
    } catch (error) {
      const msgId = error instanceof DomainError ? refusalOf(context.name, error.code) : undefined
      if (!msgId) throw error
      context.reply(noticeLine(channelTarget, (error as DomainError).message, msgId))
    }
  }
}

export type RunCommand = ReturnType<typeof createCommands>
