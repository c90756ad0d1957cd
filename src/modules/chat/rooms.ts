import { senderState } from './badges.ts'
import type { ChatContext, ChatSocket, Room } from './chat-context.ts'
import type { ChatUser } from './chat-users.ts'
import { joinedTopic } from './fanout.ts'
import { formatLine, type IrcMessage } from './irc/message.ts'
import { joinedLines, noticeLine, send, serverLine, userPrefix } from './irc/replies.ts'

/** Rooms one connection may be in at once; Twitch's clients join far fewer. */
export const MAX_ROOMS = 100

const CHANNEL = /^#[a-z0-9_]{1,25}$/

/** `#Ada` → `ada`; undefined for what cannot be a channel. */
export function channelLogin(param: string | undefined): string | undefined {
  const channel = (param ?? '').toLowerCase()
  return CHANNEL.test(channel) ? channel.slice(1) : undefined
}

/** The USERSTATE of `user` in a room: sent on JOIN (before ROOMSTATE, as tmi.js requires) and after each accepted message. */
export async function userstateLine(context: ChatContext, room: Room, user: ChatUser, messageId?: string): Promise<string> {
  const [roles, subscriber] = await Promise.all([context.services.roles(room.broadcasterId, user.id), context.services.subscriber(room.broadcasterId, user.id)])
  const state = senderState(roles, subscriber)
  return serverLine(
    'USERSTATE',
    [`#${room.login}`],
    {
      'badge-info': state.badgeInfo,
      badges: state.badges,
      color: user.color,
      'display-name': user.displayName,
      'emote-sets': '0',
      ...(messageId === undefined ? {} : { id: messageId }),
      mod: state.mod,
      subscriber: state.subscriber ? '1' : '0',
      'user-type': state.userType,
    },
  )
}

/** The room of `login`, from the connection's rooms or the users projection; undefined when no such channel. */
export async function roomOf(context: ChatContext, ws: ChatSocket, login: string): Promise<Room | undefined> {
  const joined = ws.data.rooms.get(login)
  if (joined) return joined
  const broadcaster = await context.users.byLogin(login)
  return broadcaster && { login, broadcasterId: broadcaster.id }
}

/**
 * `JOIN #a,#b`: each room answered with its JOIN echo, 353/366, USERSTATE (signed-in users) and the
 * full ROOMSTATE, in one frame; an unknown channel with Twitch's `msg_channel_suspended`.
 */
export async function join(context: ChatContext, ws: ChatSocket, message: IrcMessage): Promise<void> {
  const connection = ws.data
  const nick = connection.nick!
  for (const param of (message.params[0] ?? '').split(',')) {
    const login = channelLogin(param)
    if (login === undefined || connection.rooms.has(login)) continue
    if (connection.rooms.size >= MAX_ROOMS) {
      send(ws, noticeLine(`#${login}`, `You may be in at most ${MAX_ROOMS} channels at once.`, 'msg_room_limit'))
      continue
    }
    const room = await roomOf(context, ws, login)
    if (room === undefined) {
      send(ws, noticeLine(`#${login}`, 'This channel does not exist or has been suspended.', 'msg_channel_suspended'))
      continue
    }
    const roles = connection.user && (await context.services.roles(room.broadcasterId, connection.user.id))
    const joined = { ...room, moderates: roles !== undefined && (roles.broadcaster || roles.moderator) }
    connection.rooms.set(login, joined)
    ws.subscribe(joinedTopic(joined, connection.caps))
    if (connection.user) context.membership.joined(room, nick)
    const lines = joinedLines(nick, login)
    if (connection.user) lines.push(await userstateLine(context, room, connection.user))
    lines.push(await context.services.roomstate(login, room.broadcasterId))
    // The socket may have closed while the room was looked up.
    send(ws, lines)
  }
}

/** `PART #a`: the echo Twitch sends, and no more of the room's lines. */
export function part(context: ChatContext, ws: ChatSocket, message: IrcMessage): void {
  const connection = ws.data
  for (const param of (message.params[0] ?? '').split(',')) {
    const login = channelLogin(param)
    const room = login === undefined ? undefined : connection.rooms.get(login)
    if (room === undefined) continue
    connection.rooms.delete(room.login)
    connection.lastText.delete(room.login)
    ws.unsubscribe(joinedTopic(room, connection.caps))
    if (connection.user) context.membership.parted(room, connection.nick!)
    send(ws, formatLine({ tags: {}, prefix: userPrefix(connection.nick!), command: 'PART', params: [`#${room.login}`] }))
  }
}

/** A closed connection: marked so (a held message of its own then goes out without excluding it), and out of its rooms as a PART would take it, for the others' membership. */
export function leaveAll(context: ChatContext, ws: ChatSocket): void {
  ws.data.closed = true
  if (ws.data.user === undefined) return
  for (const room of ws.data.rooms.values()) context.membership.parted(room, ws.data.nick!)
}
