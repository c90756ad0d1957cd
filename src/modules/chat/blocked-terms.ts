import type { ModuleDatabase } from '../../platform/db/database.ts'
import type { ModulePubSub } from '../../platform/pubsub/types.ts'
import { createChannelCache } from './channel-cache.ts'

/** A word or phrase a channel refuses in chat (Helix's blocked term). */
export type BlockedTerm = { id: string; broadcasterId: string; moderatorId: string; text: string; createdAt: Date; expiresAt: Date | null }

export type BlockedTerms = {
  /** True when `text` holds one of the channel's terms as whole words, case and width folded. */
  blocks: (broadcasterId: string, text: string, now: Date) => Promise<boolean>
  /** Adds a term; a term the channel already has (in any case) is returned as it is, as Helix does. */
  add: (broadcasterId: string, moderatorId: string, text: string) => Promise<BlockedTerm>
  /** False when the channel has no term with that id. */
  remove: (broadcasterId: string, id: string) => Promise<boolean>
  /** Terms, newest first, after the cursor (created_at text, id). */
  list: (broadcasterId: string, first: number, after?: readonly [string, string]) => Promise<(BlockedTerm & { cursor: [string, string] })[]>
  close: () => void
}

type Row = { id: string; broadcaster_id: string; moderator_id: string; text: string; created_at: Date; expires_at: Date | null }

const fromRow = (row: Row): BlockedTerm => ({
  id: row.id,
  broadcasterId: row.broadcaster_id,
  moderatorId: row.moderator_id,
  text: row.text,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
})

const fold = (text: string) => text.normalize('NFKC').toLowerCase()
const escapeRegExp = (text: string) => text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')

/** One pattern for all of a channel's terms, each bounded by non-word characters (so `ass` does not refuse `class`). */
function patternOf(terms: { text: string; expiresAt: Date | null }[]): { pattern: RegExp; expiries: (Date | null)[] } | undefined {
  if (terms.length === 0) return undefined
  const alternatives = terms.map((t) => fold(t.text)).map((text) => `(${escapeRegExp(text).replace(/\s+/g, '\\s+')})`)
  return { pattern: new RegExp(`(?<![\\p{L}\\p{N}_])(?:${alternatives.join('|')})(?![\\p{L}\\p{N}_])`, 'u'), expiries: terms.map((t) => t.expiresAt) }
}

/**
 * Per-channel blocked terms in `chat_blocked_terms`. Each channel's terms become one regular
 * expression per process, rebuilt on every replica when a moderator adds or removes one.
 *
 * @example
 * const terms = createBlockedTerms(database, pubsub)
 * await terms.add('42', '42', 'spoiler')
 * await terms.blocks('42', 'no SPOILERS please', new Date()) // false: 'spoilers' is another word
 */
export function createBlockedTerms(database: ModuleDatabase, pubsub: ModulePubSub): BlockedTerms {
  const { sql } = database
  const cache = createChannelCache(pubsub, 'blocked-terms', async (broadcasterId) => {
    const rows = await sql<{ text: string; expires_at: Date | null }[]>`
      select text, expires_at from chat_blocked_terms where broadcaster_id = ${broadcasterId}::bigint`
    return patternOf(rows.map((row) => ({ text: row.text, expiresAt: row.expires_at })))
  })
  return {
    async blocks(broadcasterId, text, now) {
      const terms = await cache.get(broadcasterId)
      if (!terms) return false
      const folded = fold(text)
      const found = terms.pattern.exec(folded)
      if (!found) return false
      // The group that matched names the term; an expired one no longer blocks.
      const index = found.slice(1).findIndex((group) => group !== undefined)
      const expiresAt = terms.expiries[index]
      return !expiresAt || expiresAt > now
    },
    async add(broadcasterId, moderatorId, text) {
      const [inserted] = await sql<Row[]>`
        insert into chat_blocked_terms (broadcaster_id, moderator_id, text)
        values (${broadcasterId}::bigint, ${moderatorId}::bigint, ${text})
        on conflict (broadcaster_id, lower(text)) do nothing
        returning id, broadcaster_id::text, moderator_id::text, text, created_at, expires_at`
      if (inserted) {
        await cache.invalidate(broadcasterId)
        return fromRow(inserted)
      }
      const [existing] = await sql<Row[]>`
        select id, broadcaster_id::text, moderator_id::text, text, created_at, expires_at from chat_blocked_terms
         where broadcaster_id = ${broadcasterId}::bigint and lower(text) = lower(${text})`
      return fromRow(existing!)
    },
    async remove(broadcasterId, id) {
      const deleted = await sql`delete from chat_blocked_terms where broadcaster_id = ${broadcasterId}::bigint and id = ${id}::uuid returning 1`
      if (deleted.length === 0) return false
      await cache.invalidate(broadcasterId)
      return true
    },
    async list(broadcasterId, first, after) {
      const rows = await sql<(Row & { cursor_at: string })[]>`
        select id, broadcaster_id::text, moderator_id::text, text, created_at, expires_at, created_at::text as cursor_at
          from chat_blocked_terms
         where broadcaster_id = ${broadcasterId}::bigint
           ${after ? sql`and (created_at, id) < (${after[0]}::timestamptz, ${after[1]}::uuid)` : sql``}
         order by created_at desc, id desc
         limit ${first}`
      return rows.map((row) => ({ ...fromRow(row), cursor: [row.cursor_at, row.id] }))
    },
    close: cache.close,
  }
}
