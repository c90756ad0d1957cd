import type { ModuleDatabase } from '../../platform/db/database.ts'
import type { ModulePubSub } from '../../platform/pubsub/types.ts'
import { createChannelCache } from './channel-cache.ts'
import type { Subscriber } from './chat-services.ts'
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
  format: 'static' | 'animated'
}

/** An uploaded image: its bytes, what it is, and where it goes. */
export type EmoteUpload = { broadcasterId: string | null; name: string; tier: Tier | null; contentType: string; image: Uint8Array }

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
  /** Checks and stores an image (PNG or GIF, square); refuses a name already in use there. */
  upload: (upload: EmoteUpload) => Promise<Emote>
  image: (id: string) => Promise<{ contentType: string; image: Uint8Array } | undefined>
  close: () => void
}

const TIER_RANK: Record<Tier, number> = { '1000': 1, '2000': 2, '3000': 3 }
const ACTION = /^\u0001ACTION (.*)\u0001$/s
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
/** Emotes are drawn at 28, 56 and 112 px; anything from 16 to 512 px square is accepted and scaled by the client. */
const SIDE = { min: 16, max: 512 }

type Row = { id: string; name: string; broadcaster_id: string | null; tier: Tier | null; format: 'static' | 'animated' }
const emoteOf = (row: Row): Emote => ({ id: row.id, name: row.name, broadcasterId: row.broadcaster_id, tier: row.tier, format: row.format })

/** What the bytes are, by their magic numbers and header, whatever the client called them. */
export function sniffImage(bytes: Uint8Array): { contentType: 'image/png' | 'image/gif'; format: Emote['format']; width: number; height: number } | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const starts = (magic: number[]) => magic.every((byte, i) => bytes[i] === byte)
  // PNG: signature, then IHDR (big-endian width, height); an APNG's acTL chunk comes before its first IDAT.
  if (bytes.length >= 33 && starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) {
    const ihdr = String.fromCharCode(...bytes.subarray(12, 16))
    if (ihdr !== 'IHDR') return undefined
    const animated = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf('acTL') !== -1
    return { contentType: 'image/png', format: animated ? 'animated' : 'static', width: view.getUint32(16), height: view.getUint32(20) }
  }
  // GIF87a / GIF89a, then the logical screen (little-endian); a looping one names NETSCAPE2.0.
  if (bytes.length >= 13 && (starts([0x47, 0x49, 0x46, 0x38, 0x37, 0x61]) || starts([0x47, 0x49, 0x46, 0x38, 0x39, 0x61]))) {
    const animated = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf('NETSCAPE2.0') !== -1
    return { contentType: 'image/gif', format: animated ? 'animated' : 'static', width: view.getUint16(6, true), height: view.getUint16(8, true) }
  }
  return undefined
}

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
    async upload({ broadcasterId, name, tier, contentType, image }) {
      const sniffed = sniffImage(image)
      if (!sniffed) throw chatError('emote.unsupported_image', 'An emote is a PNG or a GIF image')
      if (sniffed.contentType !== contentType) {
        throw chatError('emote.unsupported_image', `The body is a ${sniffed.contentType}, not the ${contentType} its Content-Type says`)
      }
      const { width, height } = sniffed
      if (width !== height || width < SIDE.min || width > SIDE.max) {
        throw chatError('emote.bad_dimensions', `An emote is square, ${SIDE.min} to ${SIDE.max} px a side (this one is ${width}×${height})`)
      }
      const [row] = await sql<Row[]>`
        insert into emotes (broadcaster_id, name, tier, format, content_type, image)
        values (${broadcasterId}, ${name}, ${tier}, ${sniffed.format}, ${sniffed.contentType}, ${Buffer.from(image)})
        on conflict do nothing
        returning ${columns}`
      if (!row) throw chatError('emote.name_taken', `"${name}" is already an emote ${broadcasterId === null ? 'of the global set' : 'of this channel'}`)
      await usable.invalidate(broadcasterId ?? 'global')
      return emoteOf(row)
    },
    async image(id) {
      if (!UUID.test(id)) return undefined
      const [row] = await sql<{ content_type: string; image: Buffer }[]>`select content_type, image from emotes where id = ${id}`
      return row && { contentType: row.content_type, image: row.image }
    },
    close: usable.close,
  }
}
