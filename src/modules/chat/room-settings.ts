import type { ModuleDatabase } from '../../platform/db/database.ts'
import type { ModulePubSub } from '../../platform/pubsub/types.ts'
import { createChannelCache } from './channel-cache.ts'
import { noticeLine, serverLine } from './irc/replies.ts'

/** A channel's chat modes, as Helix's chat settings hold them; null where a mode is off. */
export type RoomSettings = {
  /** Seconds between a chatter's messages, 3–120. */
  slowModeWaitTime: number | null
  /** Minutes a chatter must have followed, 0–129 600. */
  followerModeDuration: number | null
  subscriberMode: boolean
  emoteMode: boolean
  uniqueChatMode: boolean
  /** Seconds non-moderators' messages are held, 2, 4 or 6 (Helix's; kept, not applied by chat). */
  nonModeratorChatDelayDuration: number | null
}

export type RoomSettingKey = keyof RoomSettings

export const ROOM_SETTING_LIMITS = {
  slowModeWaitTime: { min: 3, max: 120 },
  followerModeDuration: { min: 0, max: 129_600 },
  nonModeratorChatDelayDuration: [2, 4, 6],
} as const

/** Every mode off: a channel nobody has configured. */
export const DEFAULT_ROOM_SETTINGS: RoomSettings = {
  slowModeWaitTime: null,
  followerModeDuration: null,
  subscriberMode: false,
  emoteMode: false,
  uniqueChatMode: false,
  nonModeratorChatDelayDuration: null,
}

const KEYS = Object.keys(DEFAULT_ROOM_SETTINGS) as RoomSettingKey[]

// The ROOMSTATE tag of each mode Twitch announces (the chat delay has none).
const ROOMSTATE_TAGS: Partial<Record<RoomSettingKey, [tag: string, value: (settings: RoomSettings) => string]>> = {
  emoteMode: ['emote-only', (s) => (s.emoteMode ? '1' : '0')],
  followerModeDuration: ['followers-only', (s) => String(s.followerModeDuration ?? -1)],
  uniqueChatMode: ['r9k', (s) => (s.uniqueChatMode ? '1' : '0')],
  slowModeWaitTime: ['slow', (s) => String(s.slowModeWaitTime ?? 0)],
  subscriberMode: ['subs-only', (s) => (s.subscriberMode ? '1' : '0')],
}

/**
 * A ROOMSTATE line: in full (every mode, `subs-only` and `slow` included, which twurple takes
 * for the join's) without `only`, or the modes in `only` alone, as Twitch announces a change.
 *
 * @example
 * roomstateLine('ada', '42', settings) // '@emote-only=0;followers-only=-1;r9k=0;room-id=42;slow=0;subs-only=0 :tmi.twitch.tv ROOMSTATE #ada'
 * roomstateLine('ada', '42', settings, ['slowModeWaitTime']) // '@room-id=42;slow=30 :tmi.twitch.tv ROOMSTATE #ada'
 */
export function roomstateLine(login: string, broadcasterId: string, settings: RoomSettings, only?: RoomSettingKey[]): string {
  const tags: Record<string, string> = {}
  const entries = Object.entries(ROOMSTATE_TAGS) as [RoomSettingKey, [string, (s: RoomSettings) => string]][]
  for (const [key, [tag, value]] of entries) {
    if (only === undefined || only.includes(key)) tags[tag] = value(settings)
  }
  // Twitch's order: alphabetical, room-id among them.
  const ordered = Object.fromEntries(Object.entries({ ...tags, 'room-id': broadcasterId }).sort(([a], [b]) => (a < b ? -1 : 1)))
  return serverLine('ROOMSTATE', [`#${login}`], ordered)
}

const minutes = (n: number) => (n === 1 ? '1 minute' : `${n} minutes`)

/** The NOTICE Twitch sends the room when a mode changes to `settings`'s value (`msg-id` and text). */
export function modeNotice(key: RoomSettingKey, settings: RoomSettings): { msgId: string; text: string } | undefined {
  switch (key) {
    case 'slowModeWaitTime':
      return settings.slowModeWaitTime === null
        ? { msgId: 'slow_off', text: 'This room is no longer in slow mode.' }
        : { msgId: 'slow_on', text: `This room is now in slow mode. You may send messages every ${settings.slowModeWaitTime} seconds.` }
    case 'followerModeDuration':
      if (settings.followerModeDuration === null) return { msgId: 'followers_off', text: 'This room is no longer in followers-only mode.' }
      if (settings.followerModeDuration === 0) return { msgId: 'followers_on_zero', text: 'This room is now in followers-only mode.' }
      return { msgId: 'followers_on', text: `This room is now in ${minutes(settings.followerModeDuration)} followers-only mode.` }
    case 'subscriberMode':
      return settings.subscriberMode
        ? { msgId: 'subs_on', text: 'This room is now in subscribers-only mode.' }
        : { msgId: 'subs_off', text: 'This room is no longer in subscribers-only mode.' }
    case 'emoteMode':
      return settings.emoteMode
        ? { msgId: 'emote_only_on', text: 'This room is now in emote-only mode.' }
        : { msgId: 'emote_only_off', text: 'This room is no longer in emote-only mode.' }
    case 'uniqueChatMode':
      return settings.uniqueChatMode
        ? { msgId: 'r9k_on', text: 'This room is now in unique-chat mode.' }
        : { msgId: 'r9k_off', text: 'This room is no longer in unique-chat mode.' }
    case 'nonModeratorChatDelayDuration':
      return undefined
  }
}

/**
 * The lines a room is sent when its modes change from `before` to `after`: per changed mode a
 * partial ROOMSTATE of that mode alone (tmi.js reads `slow` and `followers-only` only from a
 * ROOMSTATE without `subs-only`, so modes never share one) and Twitch's NOTICE.
 */
export function changeLines(login: string, broadcasterId: string, before: RoomSettings, after: RoomSettings): string[] {
  const lines: string[] = []
  for (const key of KEYS) {
    if (before[key] === after[key]) continue
    if (ROOMSTATE_TAGS[key]) lines.push(roomstateLine(login, broadcasterId, after, [key]))
    const notice = modeNotice(key, after)
    if (notice) lines.push(noticeLine(`#${login}`, notice.text, notice.msgId))
  }
  return lines
}

type Row = {
  slow_mode_wait_time: number | null
  follower_mode_duration: number | null
  subscriber_mode: boolean
  emote_mode: boolean
  unique_chat_mode: boolean
  non_moderator_chat_delay_duration: number | null
}

const fromRow = (row: Row | undefined): RoomSettings =>
  row
    ? {
        slowModeWaitTime: row.slow_mode_wait_time,
        followerModeDuration: row.follower_mode_duration,
        subscriberMode: row.subscriber_mode,
        emoteMode: row.emote_mode,
        uniqueChatMode: row.unique_chat_mode,
        nonModeratorChatDelayDuration: row.non_moderator_chat_delay_duration,
      }
    : DEFAULT_ROOM_SETTINGS

export type RoomSettingsStore = {
  /** The channel's modes; read from this process's copy, which every replica drops on a change. */
  get: (broadcasterId: string) => Promise<RoomSettings>
  /** Applies `changes` and returns the modes before and after (the caller announces them: `changeLines`). */
  update: (broadcasterId: string, changes: Partial<RoomSettings>) => Promise<{ before: RoomSettings; after: RoomSettings }>
  close: () => void
}

/**
 * Room modes in `chat_room_settings`, cached per process. `update` locks the channel's row, so
 * two moderators changing modes at once each see the other's change as their `before`.
 *
 * @example
 * const settings = createRoomSettings(database, pubsub)
 * const { before, after } = await settings.update('42', { slowModeWaitTime: 30 })
 * for (const line of changeLines('ada', '42', before, after)) fanout.toRoom('42', line)
 */
export function createRoomSettings(database: ModuleDatabase, pubsub: ModulePubSub): RoomSettingsStore {
  const cache = createChannelCache(pubsub, 'room-settings', async (broadcasterId) => {
    const [row] = await database.sql<Row[]>`select * from chat_room_settings where broadcaster_id = ${broadcasterId}::bigint`
    return fromRow(row)
  })
  return {
    get: cache.get,
    async update(broadcasterId, changes) {
      const result = await database.transaction(async (tx) => {
        await tx.sql`insert into chat_room_settings (broadcaster_id) values (${broadcasterId}::bigint) on conflict do nothing`
        const [row] = await tx.sql<Row[]>`select * from chat_room_settings where broadcaster_id = ${broadcasterId}::bigint for update`
        const before = fromRow(row)
        const defined = Object.entries(changes).filter(([, value]) => value !== undefined)
        const after: RoomSettings = { ...before, ...Object.fromEntries(defined) }
        await tx.sql`
          update chat_room_settings set
            slow_mode_wait_time = ${after.slowModeWaitTime},
            follower_mode_duration = ${after.followerModeDuration},
            subscriber_mode = ${after.subscriberMode},
            emote_mode = ${after.emoteMode},
            unique_chat_mode = ${after.uniqueChatMode},
            non_moderator_chat_delay_duration = ${after.nonModeratorChatDelayDuration}
          where broadcaster_id = ${broadcasterId}::bigint`
        return { before, after }
      })
      await cache.invalidate(broadcasterId)
      return result
    },
    close: cache.close,
  }
}
