/**
 * Twitch's capabilities as bits of a connection's set (`CAP REQ` adds them, `-name` removes
 * them): each changes what the connection is sent, as on Twitch — without `twitch.tv/tags` lines
 * come without their tags, without `twitch.tv/commands` no Twitch command reaches it, without
 * `twitch.tv/membership` no other user's JOIN or PART.
 */
export const TAGS = 1
export const COMMANDS = 2
export const MEMBERSHIP = 4
export const ALL_CAPABILITIES = TAGS | COMMANDS | MEMBERSHIP

/** The capabilities Twitch offers (`CAP LS`), with their bits. */
export const CAPABILITY_BITS: Readonly<Record<string, number>> = {
  'twitch.tv/tags': TAGS,
  'twitch.tv/commands': COMMANDS,
  'twitch.tv/membership': MEMBERSHIP,
}

/**
 * Not a capability: a connection moderating the room (its broadcaster or a moderator, as of its
 * JOIN) is in a set of its own, so the chat delay can show it a held message at once.
 */
export const MODERATES = 8

/** Every set a room's connection can be in, so a line can go to each set that takes it (one publish per set). */
const SETS = Array.from({ length: (ALL_CAPABILITIES | MODERATES) + 1 }, (_, caps) => caps)
/** The sets holding every bit of `needed`, for each `needed`. */
export const SETS_HOLDING: readonly (readonly number[])[] = SETS.map((needed) => SETS.filter((caps) => (caps & needed) === needed))
/** The same, without the moderating sets: a held message's viewers, and users' own topics. */
export const VIEWER_SETS_HOLDING: readonly (readonly number[])[] = SETS_HOLDING.map((sets) => sets.filter((caps) => (caps & MODERATES) === 0))

// Twitch sends these only with twitch.tv/commands (dev.twitch.tv/docs/irc/commands).
const TWITCH_COMMANDS = new Set(['CLEARCHAT', 'CLEARMSG', 'GLOBALUSERSTATE', 'HOSTTARGET', 'NOTICE', 'RECONNECT', 'ROOMSTATE', 'USERNOTICE', 'USERSTATE', 'WHISPER'])

/**
 * What a line needs of a connection to be sent to it: `COMMANDS` for a Twitch command, nothing
 * for IRC's own lines. A server NOTICE to `*` (a failed login) goes to every client, as Twitch's does.
 */
export function capabilitiesNeeded(line: string): number {
  let start = line.startsWith('@') ? line.indexOf(' ') + 1 : 0
  if (line[start] === ':') start = line.indexOf(' ', start) + 1
  const end = line.indexOf(' ', start)
  const command = end === -1 ? line.slice(start) : line.slice(start, end)
  if (!TWITCH_COMMANDS.has(command)) return 0
  return command === 'NOTICE' && line.startsWith(' * ', end) ? 0 : COMMANDS
}

/** The line without its `@tags ` part, as a client without twitch.tv/tags receives it. */
export const withoutTags = (line: string): string => (line.startsWith('@') ? line.slice(line.indexOf(' ') + 1) : line)

/**
 * The line as a connection holding `caps` is sent it; undefined when it is not.
 * @example lineFor(COMMANDS, '@id=1 :tmi.twitch.tv CLEARCHAT #ada') // ':tmi.twitch.tv CLEARCHAT #ada'
 */
export function lineFor(caps: number, line: string): string | undefined {
  const needed = capabilitiesNeeded(line)
  if ((caps & needed) !== needed) return undefined
  return caps & TAGS ? line : withoutTags(line)
}
