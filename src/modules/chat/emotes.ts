import type { ModuleDatabase } from '../../platform/db/database.ts'
import type { ModulePubSub } from '../../platform/pubsub/types.ts'
import { createChannelCache } from './channel-cache.ts'
import type { Subscriber } from './chat-services.ts'
import { emoteImagesOf, type EmoteFormat, type EmoteScale, type EmoteSource } from './emote-images.ts'
import { chatError } from './errors.ts'

type Tier = Subscriber['tier']

/** An emote as Helix lists it, before its image URLs are made absolute. */
export type Emote = {
  id: string
  name: string
  /** Null for a global emote. */
  broadcasterId: string | null
  /** A sub emote's tier (that tier and up may use it); null for everyone's. */
  tier: Tier | null
  format: EmoteFormat
}

/** An upload: where it goes, its code and tier, and its image or three. */
export type EmoteUpload = { broadcasterId: string | null; name: string; tier: Tier | null; source: EmoteSource }

export type Emotes = {
  /**
   * The PRIVMSG `emotes` tag of `text` — `id:start-end,start-end/id:…`, positions in code points
   * (an astral character is one), words separated by spaces as Twitch matches them, `/me`'s
   * `\x01ACTION ` not counted — and whether every word is an emote. The sender may use the
   * global emotes and the channel's, a sub emote only at its tier or higher.
   * @example
   * await emotes.emotesTag('🙂 OndesWave hi', '42', undefined) // { tag: '0e5a…0001:2-10', onlyEmotes: false }
   */
  emotesTag: (text: string, broadcasterId: string, senderTier: Tier | undefined) => Promise<{ tag: string; onlyEmotes: boolean }>
  global: () => Promise<Emote[]>
  ofChannel: (broadcasterId: string) => Promise<Emote[]>
  /** Checks the image(s), renders the three scales and stores the emote with them at once; refuses a name already in use there. */
  upload: (upload: EmoteUpload) => Promise<Emote>
  /** One image; `default` is the animated one when there is one (Helix's meaning). */
  image: (id: string, format: EmoteFormat | 'default', scale: EmoteScale) => Promise<{ contentType: string; image: Uint8Array } | undefined>
  close: () => void
}

const TIER_RANK: Record<Tier, number> = { '1000': 1, '2000': 2, '3000': 3 }
const ACTION = /^\u0001ACTION (.*)\u0001$/s
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

type Row = { id: string; name: string; broadcaster_id: string | null; tier: Tier | null; format: EmoteFormat }
const emoteOf = (row: Row): Emote => ({ id: row.id, name: row.name, broadcasterId: row.broadcaster_id, tier: row.tier, format: row.format })

/** Where each word of `text` starts and ends, in code points. */
function words(text: string): { word: string; start: number; end: number }[] {
  const found: { word: string; start: number; end: number }[] = []
  let position = 0
  for (const word of text.split(' ')) {
    const length = [...word].length
    if (length > 0) found.push({ word, start: position, end: position + length - 1 })
    position += length + 1
  }
  return found
}

/**
 * Emotes from the `emotes` table, each channel's names cached per process and dropped on
 * every replica when one uploads (the PRIVMSG path reads them on every message).
 *
 * @example
 * const emotes = createEmotes(database, pubsub)
 * const { tag, onlyEmotes } = await emotes.emotesTag(text, broadcasterId, subscriber?.tier)
 */
export function createEmotes(database: ModuleDatabase, pubsub: ModulePubSub): Emotes {
  const { sql } = database
  const columns = sql`id::text, name, broadcaster_id::text, tier, format`
  const list = async (broadcasterId: string | null) =>
    (broadcasterId === null
      ? await sql<Row[]>`select ${columns} from emotes where broadcaster_id is null order by name`
      : await sql<Row[]>`select ${columns} from emotes where broadcaster_id = ${broadcasterId} order by name`
    ).map(emoteOf)
  // The global set under the key `global`, a channel's under its id.
  const usable = createChannelCache(pubsub, 'emotes', async (key) => {
    const byName = new Map<string, Emote>()
    for (const emote of await list(key === 'global' ? null : key)) byName.set(emote.name, emote)
    return byName
  })

  return {
    async emotesTag(text, broadcasterId, senderTier) {
      const body = ACTION.exec(text)?.[1] ?? text
      const [globals, channel] = await Promise.all([usable.get('global'), usable.get(broadcasterId)])
      const rank = senderTier === undefined ? 0 : TIER_RANK[senderTier]
      const positions = new Map<string, string[]>()
      const found = words(body)
      let emoteWords = 0
      for (const { word, start, end } of found) {
        const ownEmote = channel.get(word)
        const emote = ownEmote && (ownEmote.tier === null || TIER_RANK[ownEmote.tier] <= rank) ? ownEmote : globals.get(word)
        if (!emote) continue
        emoteWords++
        const ranges = positions.get(emote.id)
        if (ranges) ranges.push(`${start}-${end}`)
        else positions.set(emote.id, [`${start}-${end}`])
      }
      const tag = [...positions].map(([id, ranges]) => `${id}:${ranges.join(',')}`).join('/')
      return { tag, onlyEmotes: found.length > 0 && emoteWords === found.length }
    },
    global: () => list(null),
    ofChannel: (broadcasterId) => list(broadcasterId),
    async upload({ broadcasterId, name, tier, source }) {
      const { format, images } = await emoteImagesOf(source)
      // The emote and its images in one transaction: a refused name leaves neither.
      const row = await database.transaction(async (tx) => {
        const [inserted] = await tx.sql<Row[]>`
          insert into emotes (broadcaster_id, name, tier, format) values (${broadcasterId}, ${name}, ${tier}, ${format})
          on conflict do nothing
          returning ${columns}`
        if (!inserted) return undefined
        const rows = images.map((each) => ({ emote_id: inserted.id, format: each.format, scale: each.scale, content_type: each.contentType, image: Buffer.from(each.image) }))
        await tx.sql`insert into emote_images ${tx.sql(rows)}`
        return inserted
      })
      if (!row) throw chatError('emote.name_taken', `"${name}" is already an emote ${broadcasterId === null ? 'of the global set' : 'of this channel'}`)
      await usable.invalidate(broadcasterId ?? 'global')
      return emoteOf(row)
    },
    async image(id, format, scale) {
      if (!UUID.test(id)) return undefined
      const formats = format === 'default' ? ['animated', 'static'] : [format]
      const [row] = await sql<{ content_type: string; image: Buffer }[]>`
        select content_type, image from emote_images
        where emote_id = ${id} and scale = ${scale} and format in ${sql(formats)}
        order by format = 'animated' desc limit 1`
      return row && { contentType: row.content_type, image: row.image }
    },
    close: usable.close,
  }
}
