import { accessTokenOf } from '../../platform/auth/chat-token.ts'
import type { ChatContext, ChatSocket } from './chat-context.ts'
import { userTopic } from './fanout.ts'
import type { IrcMessage } from './irc/message.ts'
import { CAPABILITIES, noticeLine, send, serverLine, welcomeLines } from './irc/replies.ts'

const ANONYMOUS = /^justinfan\d+$/
export const LOGIN_FAILED = 'Login authentication failed'

/** `CAP REQ` → `CAP * ACK` with exactly what was asked (`NAK` if any is unknown); `CAP LS` → `CAP * LS` (twurple waits for it). */
export function capability(ws: ChatSocket, message: IrcMessage): void {
  const [sub = '', list = ''] = message.params
  switch (sub.toUpperCase()) {
    case 'LS':
      send(ws, serverLine('CAP', ['*', 'LS', CAPABILITIES.join(' ')], {}, { trailing: true }))
      return
    case 'REQ': {
      const requested = list.split(' ').filter(Boolean)
      const known = requested.every((cap) => (CAPABILITIES as readonly string[]).includes(cap))
      send(ws, serverLine('CAP', ['*', known ? 'ACK' : 'NAK', list], {}, { trailing: true }))
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
  ws.subscribe(userTopic(user.id))
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
