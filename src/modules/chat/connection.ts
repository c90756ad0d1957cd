import type { ModuleSockets } from '../../platform/sockets/types.ts'
import type { ChatConnection, ChatContext, ChatSocket } from './chat-context.ts'
import { parseLine, type IrcMessage } from './irc/message.ts'
import { noticeLine, pongLine, send, serverLine } from './irc/replies.ts'
import { privmsg } from './messages.ts'
import { capability, LOGIN_FAILED, nick, password } from './registration.ts'
import { join, leaveAll, part } from './rooms.ts'

/** Bounds on what one client can make the server hold: a frame, a line, and lines waiting their turn. */
export const MAX_FRAME_LENGTH = 64 * 1024
export const MAX_LINE_LENGTH = 8 * 1024
export const MAX_WAITING_LINES = 200

type Handler = (context: ChatContext, ws: ChatSocket, message: IrcMessage) => void | Promise<void>

const BEFORE_REGISTRATION: Record<string, Handler> = {
  CAP: (_, ws, message) => capability(ws, message),
  PASS: (_, ws, message) => password(ws, message),
  NICK: nick,
  USER: () => {},
  PING: (_, ws, message) => send(ws, pongLine(message.params[0])),
  PONG: () => {},
  QUIT: (_, ws) => ws.close(1000, 'quit'),
}

const REGISTERED: Record<string, Handler> = {
  ...BEFORE_REGISTRATION,
  JOIN: join,
  PART: part,
  PRIVMSG: privmsg,
}

const newConnection = (): ChatConnection => ({
  id: crypto.randomUUID(),
  nick: undefined,
  password: undefined,
  user: undefined,
  registered: false,
  caps: 0,
  closed: false,
  rooms: new Map(),
  sent: [],
  lastText: new Map(),
  openedAt: Date.now(),
  heardAt: Date.now(),
  pinged: false,
  sessionId: undefined,
  tail: Promise.resolve(),
  waiting: 0,
})

async function handle(context: ChatContext, ws: ChatSocket, line: string): Promise<void> {
  const message = parseLine(line)
  if (message === undefined) return
  const command = message.command.toUpperCase()
  const handler = (ws.data.registered ? REGISTERED : BEFORE_REGISTRATION)[command]
  if (handler) return handler(context, ws, message)
  // Twitch answers an unknown command with 421 once registered, and ignores it before.
  if (ws.data.registered) send(ws, serverLine('421', [ws.data.nick!, command, 'Unknown command']))
}

export type ChatServer = {
  sockets: ModuleSockets<ChatConnection>
  /** Pings connections silent for the ping interval, closes those silent twice as long; stop() ends it. */
  keepAlive: () => void
  /** Resolves once every line under way has been handled (accepted messages queued for storage). */
  settle: () => Promise<void>
  stop: () => void
}

/**
 * The IRC-over-WebSocket server at `/`: `irc` echoed when offered, none accepted (twurple offers
 * none). A frame may hold several CRLF lines; they run one at a time per connection, in order.
 * What a client sends never throws out of here: binary and oversize frames, over-long and
 * malformed lines are dropped, a client with too many lines waiting is disconnected, and a slow
 * reader is cut off by the platform (`closeOnBackpressureLimit`).
 */
export function createChatServer(context: ChatContext): ChatServer {
  const open = new Set<ChatSocket>()
  const inFlight = new Set<Promise<void>>()
  let timer: ReturnType<typeof setInterval> | undefined

  const enqueue = (ws: ChatSocket, line: string) => {
    const connection = ws.data
    if (connection.waiting >= MAX_WAITING_LINES) {
      context.log.warn({ connection: connection.id }, 'chat connection flooding: closed')
      ws.close(1008, 'flooding')
      return
    }
    connection.waiting += 1
    const tail = connection.tail
      .then(() => handle(context, ws, line))
      .catch((error: unknown) => context.log.error({ err: error, connection: connection.id }, 'chat line failed'))
      .finally(() => {
        connection.waiting -= 1
        inFlight.delete(tail)
      })
    connection.tail = tail
    inFlight.add(tail)
  }

  const sweep = () => {
    const intervalMs = context.settings.CHAT_PING_INTERVAL_SECONDS * 1000
    const now = Date.now()
    for (const ws of open) {
      const silent = now - ws.data.heardAt
      if (!ws.data.registered && now - ws.data.openedAt >= intervalMs) ws.close(1008, 'no registration')
      else if (ws.data.sessionId !== undefined && context.sessionRevoked(ws.data.sessionId)) {
        // Signed out (or a stolen refresh token caught) since login: the chat session ends with it.
        send(ws, noticeLine('*', LOGIN_FAILED))
        ws.close(1008, 'session revoked')
      } else if (silent >= 2 * intervalMs) ws.close(1001, 'ping timeout')
      else if (silent >= intervalMs && !ws.data.pinged) {
        ws.data.pinged = true
        send(ws, 'PING :tmi.twitch.tv')
      }
    }
  }

  return {
    sockets: {
      upgrade: (_request, protocols) => ({ data: newConnection(), protocol: protocols.includes('irc') ? 'irc' : undefined }),
      open: (ws) => void open.add(ws),
      close(ws) {
        open.delete(ws)
        leaveAll(context, ws)
      },
      message(ws, frame) {
        ws.data.heardAt = Date.now()
        ws.data.pinged = false
        // Twitch's chat is text: binary and oversize frames are nobody's lines.
        if (typeof frame !== 'string' || frame.length > MAX_FRAME_LENGTH) return
        for (const line of frame.split(/\r?\n/)) {
          if (line !== '' && line.length <= MAX_LINE_LENGTH) enqueue(ws, line)
        }
      },
      goingAway: (ws) => send(ws, serverLine('RECONNECT', [])),
    },
    keepAlive() {
      const tickMs = Math.min(5000, (context.settings.CHAT_PING_INTERVAL_SECONDS * 1000) / 4)
      timer = setInterval(sweep, tickMs)
      timer.unref?.()
    },
    settle: async () => void (await Promise.all(inFlight)),
    stop: () => clearInterval(timer),
  }
}
