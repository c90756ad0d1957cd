import { accessTokenOf } from '../../platform/auth/chat-token.ts'
import type { ChatContext, ChatSocket } from './chat-context.ts'
import { joinedTopic, userTopic } from './fanout.ts'
import { CAPABILITY_BITS } from './irc/capabilities.ts'
import type { IrcMessage } from './irc/message.ts'
import { noticeLine, send, serverLine, welcomeLines } from './irc/replies.ts'

const ANONYMOUS = /^justinfan\d+$/
export const LOGIN_FAILED = 'Login authentication failed'

/** The connection's topics (its rooms', its own) for its capability set: a set that changes moves them. */
function subscribeAll(ws: ChatSocket, caps: number, subscribe: boolean): void {
  const topics = [...ws.data.rooms.values()].map((room) => joinedTopic(room, caps))
  if (ws.data.user) topics.push(userTopic(ws.data.user.id, caps))
  for (const topic of topics) {
    if (subscribe) ws.subscribe(topic)
    else ws.unsubscribe(topic)
  }
}

/**
 * `CAP REQ` → `CAP * ACK` with exactly what was asked (`-name` takes one away), and the set
 * applies from then on, to rooms already joined too; `NAK` of the whole list if any is unknown.
 * `CAP LS` → `CAP * LS` (twurple waits for it).
 */
export function capability(ws: ChatSocket, message: IrcMessage): void {
  const [sub = '', list = ''] = message.params
  switch (sub.toUpperCase()) {
    case 'LS':
      send(ws, serverLine('CAP', ['*', 'LS', Object.keys(CAPABILITY_BITS).join(' ')], {}, { trailing: true }))
      return
    case 'REQ': {
      const requested = list.split(' ').filter(Boolean)
      const known = requested.every((cap) => CAPABILITY_BITS[cap.replace(/^-/, '')] !== undefined)
      send(ws, serverLine('CAP', ['*', known ? 'ACK' : 'NAK', list], {}, { trailing: true }))
      if (!known) return
      const before = ws.data.caps
      const after = requested.reduce((caps, cap) => (cap.startsWith('-') ? caps & ~CAPABILITY_BITS[cap.slice(1)]! : caps | CAPABILITY_BITS[cap]!), before)
      if (after === before) return
      subscribeAll(ws, before, false)
      ws.data.caps = after
      subscribeAll(ws, after, true)
      return
    }
    // END, LIST and the rest need no answer from a server that never holds registration back.
  }
}

export function password(ws: ChatSocket, message: IrcMessage): void {
  if (ws.data.registered) return
  ws.data.password = (message.params[0] ?? '').replace(/^oauth:/i, '')
}

/**
 * NICK registers the connection: a `justinfan<digits>` nick is anonymous and read-only;
 * any other needs PASS `oauth:<chat token>`, verified locally (signature, expiry, revocations).
 * A bad one gets the NOTICE twurple and tmi.js recognise, without `msg-id`, then the close.
 */
export async function nick(context: ChatContext, ws: ChatSocket, message: IrcMessage): Promise<void> {
  const connection = ws.data
  if (connection.registered) return
  const nick = (message.params[0] ?? '').toLowerCase()
  if (ANONYMOUS.test(nick)) {
    connection.nick = nick
    connection.registered = true
    send(ws, welcomeLines(nick))
    return
  }
  const token = connection.password === undefined ? undefined : accessTokenOf(connection.password)
  connection.password = undefined
  const claims = token === undefined ? undefined : await context.verifyAccessToken(token).catch(() => undefined)
  if (claims === undefined) {
    send(ws, noticeLine('*', LOGIN_FAILED))
    ws.close(1000, 'login failed')
    return
  }
  // The projection may lag a fresh registration by a moment: the token's login stands in meanwhile.
  const user = (await context.users.byId(claims.userId)) ?? { id: claims.userId, login: claims.login, displayName: claims.login, color: '' }
  connection.user = user
  connection.sessionId = claims.sessionId
  connection.nick = user.login
  connection.registered = true
  // Whispers reach every connection of the user, on any replica.
  ws.subscribe(userTopic(user.id, connection.caps))
  const globalState = serverLine('GLOBALUSERSTATE', [], {
    'badge-info': '',
    badges: '',
    color: user.color,
    'display-name': user.displayName,
    'emote-sets': '0',
    'user-id': user.id,
    'user-type': '',
  })
  send(ws, [...welcomeLines(user.login), globalState])
}
