import { COMMANDS, lineFor, TAGS } from './capabilities.ts'
import { formatLine } from './message.ts'

/** The prefix of every server line: tmi.js and twurple only recognise Twitch's own (`376` must come from it). */
export const SERVER = 'tmi.twitch.tv'

/** Every frame ends its lines with CRLF, as Twitch's do: twurple (ircv3) holds a line back until its CRLF arrives. */
export const CRLF = '\r\n'

/**
 * Sends one frame of one or more lines, each ended with CRLF, as the connection's capabilities
 * take them (tags dropped, Twitch commands left out: `lineFor`); nothing when none is left.
 * @example send(ws, [joinLine, namesLine, endOfNamesLine])
 */
export function send(ws: { send: (data: string) => number; data: { caps: number } }, lines: string | string[]): void {
  const caps = ws.data.caps
  // What tmi.js and twurple ask for: every line as it is (membership changes nothing sent straight to a connection).
  if ((caps & (TAGS | COMMANDS)) === (TAGS | COMMANDS)) {
    ws.send(typeof lines === 'string' ? lines + CRLF : lines.join(CRLF) + CRLF)
    return
  }
  const kept = (typeof lines === 'string' ? [lines] : lines).flatMap((line) => lineFor(caps, line) ?? [])
  if (kept.length > 0) ws.send(kept.join(CRLF) + CRLF)
}

/** A user as the source of a line: `ada!ada@ada.tmi.twitch.tv`. */
export const userPrefix = (login: string) => `${login}!${login}@${login}.${SERVER}`

/** One server line: `@tags :tmi.twitch.tv COMMAND params`; `trailing` puts the last parameter after `:` whatever it holds. */
export const serverLine = (command: string, params: string[], tags: Record<string, string> = {}, options: { trailing?: boolean } = {}) =>
  formatLine({ tags, prefix: SERVER, command, params }, options)

/** The registration replies tmi.js and twurple wait for: 001–004 and the MOTD, ending in 376. */
export function welcomeLines(nick: string): string[] {
  return [
    serverLine('001', [nick, 'Welcome, GLHF!']),
    serverLine('002', [nick, `Your host is ${SERVER}`]),
    serverLine('003', [nick, 'This server is rather new']),
    serverLine('004', [nick, '-']),
    serverLine('375', [nick, '-']),
    serverLine('372', [nick, 'You are in a maze of twisty passages, all alike.']),
    serverLine('376', [nick, '>']),
  ]
}

/**
 * A `NOTICE`: with a `msg-id` for refusals and command results, without one for a failed login
 * (twurple recognises `Login authentication failed` only with none). `target` is `#channel` or `*`.
 */
export const noticeLine = (target: string, text: string, msgId?: string) =>
  serverLine('NOTICE', [target, text], msgId === undefined ? {} : { 'msg-id': msgId })

/** `PING` → `PONG :tmi.twitch.tv` without prefix (tmi.js takes a prefixed PONG for no answer); `PING :x` → `:tmi.twitch.tv PONG tmi.twitch.tv :x`. */
export const pongLine = (token: string | undefined) =>
  token === undefined ? formatLine({ tags: {}, prefix: undefined, command: 'PONG', params: [SERVER] }, { trailing: true }) : serverLine('PONG', [SERVER, token], {}, { trailing: true })

/** JOIN's echo and the names list, from `<nick>.tmi.twitch.tv` as Twitch sends them. */
export function joinedLines(login: string, channel: string): string[] {
  const prefix = `${login}.${SERVER}`
  return [
    formatLine({ tags: {}, prefix: userPrefix(login), command: 'JOIN', params: [`#${channel}`] }),
    formatLine({ tags: {}, prefix, command: '353', params: [login, '=', `#${channel}`, login] }, { trailing: true }),
    formatLine({ tags: {}, prefix, command: '366', params: [login, `#${channel}`, 'End of /NAMES list'] }),
  ]
}
