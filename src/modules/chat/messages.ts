import { senderState } from './badges.ts'
import type { ChatContext, ChatSocket, Room } from './chat-context.ts'
import type { AcceptedMessage } from './chat-services.ts'
import { changeColor } from './color.ts'
import { formatLine, type IrcMessage } from './irc/message.ts'
import { noticeLine, send, userPrefix } from './irc/replies.ts'
import { channelLogin, roomOf, userstateLine } from './rooms.ts'
import { whisper } from './whispers.ts'

/** Twitch's limits: 500 characters; 20 messages per 30 s per connection, 100 where the sender moderates the channel. */
export const MAX_MESSAGE_LENGTH = 500
export const RATE_WINDOW_MS = 30_000
export const RATE_LIMIT = 20
export const MODERATOR_RATE_LIMIT = 100
const DUPLICATE_WINDOW_MS = 30_000

const ACTION = /^\u0001ACTION (.*)\u0001?$/s

/** The text as counted and checked: `/me`'s ACTION wrapper is not part of it. */
const spokenText = (text: string) => ACTION.exec(text)?.[1] ?? text

type ReplyParent = { id: string; userId: string; login: string; displayName: string; text: string; threadId: string }

/** The message a reply answers: this process's recent ones first, then the stored ones. */
async function replyParent(context: ChatContext, room: Room, id: string | undefined): Promise<ReplyParent | undefined> {
  if (id === undefined || !/^[0-9a-f-]{36}$/i.test(id)) return undefined
  const recent = context.services.findRecent(id)
  const found =
    recent && recent.broadcasterId === room.broadcasterId
      ? { id, userId: recent.userId, text: recent.text, threadId: recent.replyParentId ?? id }
      : await context.store.find(room.broadcasterId, id)
  if (found === undefined) return undefined
  const user = await context.users.byId(found.userId)
  return user && { ...found, login: user.login, displayName: user.displayName }
}

/** Refuses with Twitch's NOTICE, or returns the limit's verdict on this message. */
function limited(ws: ChatSocket, room: Room, text: string, moderator: boolean, now: number): boolean {
  const connection = ws.data
  while (connection.sent.length > 0 && connection.sent[0]! <= now - RATE_WINDOW_MS) connection.sent.shift()
  if (connection.sent.length >= (moderator ? MODERATOR_RATE_LIMIT : RATE_LIMIT)) {
    send(ws, noticeLine(`#${room.login}`, 'Your message was not sent because you are sending messages too quickly.', 'msg_ratelimit'))
    return true
  }
  const last = connection.lastText.get(room.login)
  if (last !== undefined && last.text === text && now - last.at < DUPLICATE_WINDOW_MS) {
    send(ws, noticeLine(`#${room.login}`, 'Your message was not sent because it is identical to the previous one you sent, less than 30 seconds ago.', 'msg_duplicate'))
    return true
  }
  return false
}

/**
 * One PRIVMSG from a signed-in user: a command (`/me`, `/color`, `/w` here, the rest to
 * moderation), or a message that passes the length, rate, duplicate and channel rules, then goes
 * to the room on every replica (not back to its sender, who gets a USERSTATE instead), into the
 * next stored batch and the minute's activity.
 */
export async function privmsg(context: ChatContext, ws: ChatSocket, message: IrcMessage): Promise<void> {
  const connection = ws.data
  const user = connection.user
  // Anonymous connections read only (tmi.js refuses to send from one; a raw client is ignored as on Twitch).
  if (user === undefined) return
  const [target, raw = ''] = message.params
  const login = channelLogin(target)
  if (login === undefined || raw === '') return
  let text = raw
  if ((text.startsWith('/') || (text.startsWith('.') && !text.startsWith('..'))) && !text.startsWith('/ ')) {
    const [name = '', ...args] = text.slice(1).split(' ').filter(Boolean)
    const command = name.toLowerCase()
    // tmi.js sends both to `#tmijs`, a channel nobody has.
    if (command === 'w') return whisper(context, ws, `#${login}`, args)
    if (command === 'color') return changeColor(context, ws, `#${login}`, args)
    const room = await roomOf(context, ws, login)
    if (room === undefined) {
      send(ws, noticeLine(`#${login}`, 'This channel does not exist or has been suspended.', 'msg_channel_suspended'))
      return
    }
    if (command !== 'me') {
      return context.services.runCommand({
        broadcasterId: room.broadcasterId,
        channelLogin: login,
        sender: user,
        name: command,
        args,
        reply: (line) => send(ws, line),
        fanout: context.fanout,
      })
    }
    text = `\u0001ACTION ${args.join(' ')}\u0001`
  }
  const room = connection.rooms.get(login) ?? (await roomOf(context, ws, login))
  if (room === undefined) {
    send(ws, noticeLine(`#${login}`, 'This channel does not exist or has been suspended.', 'msg_channel_suspended'))
    return
  }
  const spoken = spokenText(text)
  if ([...spoken].length > MAX_MESSAGE_LENGTH) {
    send(ws, noticeLine(`#${login}`, `Your message was not sent because it is more than ${MAX_MESSAGE_LENGTH} characters long.`, 'msg_too_long'))
    return
  }
  const [roles, subscriber, delaySeconds] = await Promise.all([
    context.services.roles(room.broadcasterId, user.id),
    context.services.subscriber(room.broadcasterId, user.id),
    context.services.chatDelay(room.broadcasterId),
  ])
  const now = new Date()
  if (limited(ws, room, spoken, roles.broadcaster || roles.moderator, now.getTime())) return
  const emotes = await context.services.emotes(text, room.broadcasterId, subscriber?.tier)
  const refusal = await context.services.checkMessage({
    broadcasterId: room.broadcasterId,
    channelLogin: login,
    sender: { id: user.id, login: user.login },
    text: spoken,
    emoteOnly: emotes.onlyEmotes,
    roles,
    subscriber: subscriber !== undefined,
    now,
  })
  if (refusal) {
    send(ws, noticeLine(`#${login}`, refusal.text, refusal.msgId))
    return
  }
  const [flags, parent] = await Promise.all([context.chatters.chatted(room.broadcasterId, user.id, now), replyParent(context, room, message.tags['reply-parent-msg-id'])])
  const state = senderState(roles, subscriber)
  const id = crypto.randomUUID()
  const tags: Record<string, string> = {
    'badge-info': state.badgeInfo,
    badges: state.badges,
    ...(message.tags['client-nonce'] === undefined ? {} : { 'client-nonce': message.tags['client-nonce'].slice(0, 64) }),
    color: user.color,
    'display-name': user.displayName,
    emotes: emotes.tag,
    'first-msg': flags.firstMessage ? '1' : '0',
    flags: '',
    id,
    mod: state.mod,
    ...(parent && {
      'reply-parent-display-name': parent.displayName,
      'reply-parent-msg-body': parent.text,
      'reply-parent-msg-id': parent.id,
      'reply-parent-user-id': parent.userId,
      'reply-parent-user-login': parent.login,
      'reply-thread-parent-msg-id': parent.threadId,
    }),
    'returning-chatter': flags.returning ? '1' : '0',
    'room-id': room.broadcasterId,
    subscriber: state.subscriber ? '1' : '0',
    'tmi-sent-ts': String(now.getTime()),
    turbo: '0',
    'user-id': user.id,
    'user-type': state.userType,
    ...(state.vip ? { vip: '1' } : {}),
  }
  const line = formatLine({ tags, prefix: userPrefix(user.login), command: 'PRIVMSG', params: [`#${login}`, text] })
  // The non-moderator chat delay holds everyone's but the broadcaster's and moderators' (VIPs' too, as on Twitch).
  if (delaySeconds > 0 && !roles.broadcaster && !roles.moderator) {
    if (!context.delay.hold({ id, broadcasterId: room.broadcasterId, userId: user.id, line, sender: ws }, delaySeconds)) {
      send(ws, noticeLine(`#${login}`, 'Your message was not sent because you are sending messages too quickly.', 'msg_ratelimit'))
      return
    }
  } else context.fanout.toRoom(room.broadcasterId, line, { except: ws })
  connection.sent.push(now.getTime())
  connection.lastText.set(login, { text: spoken, at: now.getTime() })
  send(ws, await userstateLine(context, room, user, id))
  const accepted: AcceptedMessage = { id, broadcasterId: room.broadcasterId, userId: user.id, login: user.login, text, sentAt: now, ...(parent && { replyParentId: parent.id }) }
  context.store.add(accepted)
  context.services.remember(accepted)
  context.services.count(room.broadcasterId, user.id, now)
  context.accepted.inc()
}
