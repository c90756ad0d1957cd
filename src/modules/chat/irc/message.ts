/**
 * One IRC line (RFC 1459 with IRCv3 message tags), as Twitch's chat speaks it:
 * `@badges=…;color=… :nick!nick@nick.tmi.twitch.tv PRIVMSG #channel :text`.
 */
export type IrcMessage = {
  /** Tag values unescaped; a tag without a value is `''`. */
  tags: Record<string, string>
  /** The source without its leading `:`; undefined when the line has none. */
  prefix: string | undefined
  /** As sent (`PRIVMSG`, `001`); clients' commands are compared upper-cased. */
  command: string
  params: string[]
}

const TAG_UNESCAPES: Record<string, string> = { ':': ';', s: ' ', '\\': '\\', r: '\r', n: '\n' }

/** IRCv3: `\:` `\s` `\\` `\r` `\n`; any other escaped character stands for itself, a lone trailing `\` for nothing. */
function unescapeTag(value: string): string {
  if (!value.includes('\\')) return value
  return value.replace(/\\(.?)/gs, (_, next: string) => TAG_UNESCAPES[next] ?? next)
}

const TAG_ESCAPES: Record<string, string> = { ';': '\\:', ' ': '\\s', '\\': '\\\\', '\r': '\\r', '\n': '\\n' }

function escapeTag(value: string): string {
  return value.replace(/[; \\\r\n]/g, (character) => TAG_ESCAPES[character]!)
}

/**
 * Reads one line (without its CRLF); undefined when it holds no command (blank, only tags or a
 * prefix). Never throws: lines come from anyone.
 *
 * @example
 * parseLine('@client-nonce=abc PRIVMSG #ada :hello there')
 * // { tags: { 'client-nonce': 'abc' }, prefix: undefined, command: 'PRIVMSG', params: ['#ada', 'hello there'] }
 */
export function parseLine(line: string): IrcMessage | undefined {
  let rest = line
  const tags: Record<string, string> = {}
  if (rest.startsWith('@')) {
    const end = rest.indexOf(' ')
    if (end === -1) return undefined
    for (const tag of rest.slice(1, end).split(';')) {
      if (tag === '') continue
      const equals = tag.indexOf('=')
      if (equals === -1) tags[tag] = ''
      else tags[tag.slice(0, equals)] = unescapeTag(tag.slice(equals + 1))
    }
    rest = rest.slice(end + 1).trimStart()
  }
  let prefix: string | undefined
  if (rest.startsWith(':')) {
    const end = rest.indexOf(' ')
    if (end === -1) return undefined
    prefix = rest.slice(1, end)
    rest = rest.slice(end + 1).trimStart()
  }
  const params: string[] = []
  let command: string | undefined
  while (rest !== '') {
    if (command !== undefined && rest.startsWith(':')) {
      params.push(rest.slice(1))
      break
    }
    const end = rest.indexOf(' ')
    const word = end === -1 ? rest : rest.slice(0, end)
    if (command === undefined) command = word
    else params.push(word)
    rest = end === -1 ? '' : rest.slice(end + 1).trimStart()
  }
  if (command === undefined || command === '') return undefined
  return { tags, prefix, command, params }
}

// A line ends at CR or LF and NUL is forbidden: none may reach a client inside a parameter.
const unsafe = (param: string) => param.replace(/[\r\n\0]/g, ' ')

/**
 * Writes one line without its CRLF. The last parameter gets its `:` when it must (empty, with a
 * space, or starting with `:`), or always with `trailing` (Twitch's `PONG :tmi.twitch.tv`, `353`);
 * tags in the object's order, values escaped.
 *
 * @example
 * formatLine({ tags: { 'room-id': '1' }, prefix: 'tmi.twitch.tv', command: 'ROOMSTATE', params: ['#ada'] })
 * // '@room-id=1 :tmi.twitch.tv ROOMSTATE #ada'
 */
export function formatLine(message: IrcMessage, options: { trailing?: boolean } = {}): string {
  let line = ''
  const tags = Object.entries(message.tags)
  if (tags.length > 0) line = `@${tags.map(([key, value]) => `${key}=${escapeTag(value)}`).join(';')} `
  if (message.prefix !== undefined) line += `:${message.prefix} `
  line += message.command
  const last = message.params.length - 1
  message.params.forEach((param, index) => {
    const safe = unsafe(param)
    line += index === last && (options.trailing || safe === '' || safe.includes(' ') || safe.startsWith(':')) ? ` :${safe}` : ` ${safe}`
  })
  return line
}
