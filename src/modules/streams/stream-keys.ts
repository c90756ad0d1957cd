import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { ModuleDatabase, Transaction } from '../../platform/db/database.ts'

/** `live_<broadcaster id>_<43 characters of HMAC-SHA256>`: about 256 bits nobody can guess. */
const KEY_FORMAT = /^live_([1-9][0-9]{0,18})_([A-Za-z0-9_-]{43})$/

const MAX_ID = 2n ** 63n - 1n

export const hashStreamKey = (key: string): string => createHash('sha256').update(key).digest('hex')

/** A stream key that matched its channel's: whose it is, and the hash live sessions are found by. */
export type VerifiedKey = { broadcasterId: string; keyHash: string }

export type StreamKeys = {
  /** The channel's key (made on first use); undefined when the channel does not exist. */
  read: (broadcasterId: string) => Promise<string | undefined>
  /** A new key in `tx`; the old one stops matching when it commits. Undefined when the channel does not exist. */
  reset: (tx: Transaction, broadcasterId: string) => Promise<string | undefined>
  /** Whose key `presented` is, compared in constant time with the stored hash; undefined when it is nobody's. */
  verify: (presented: string) => Promise<VerifiedKey | undefined>
}

/**
 * Stream keys, never stored: each is the HMAC of a random nonce under the key secret, so the
 * owner can read it again while a copy of the database alone yields no key; the database holds
 * the nonce and the key's SHA-256.
 *
 * @example
 * const keys = createStreamKeys(database, secrets.keySecret)
 * const key = await keys.read('42')          // live_42_…
 * await keys.verify(key)                     // { broadcasterId: '42', keyHash: '…' }
 */
export function createStreamKeys(database: ModuleDatabase, keySecret: string): StreamKeys {
  const derive = (broadcasterId: string, nonce: string) =>
    `live_${broadcasterId}_${createHmac('sha256', keySecret).update(`${broadcasterId}:${nonce}`).digest('base64url')}`
  const fresh = (broadcasterId: string) => {
    const nonce = randomBytes(32).toString('base64url')
    return { nonce, key: derive(broadcasterId, nonce) }
  }

  return {
    read: async (broadcasterId) => {
      const { nonce, key } = fresh(broadcasterId)
      // Made on first read; a concurrent first read loses the insert and reads the winner's nonce.
      const [row] = await database.sql<{ nonce: string }[]>`
        with made as (
          insert into stream_keys (broadcaster_id, nonce, key_hash)
          select broadcaster_id, ${nonce}, ${hashStreamKey(key)} from channels where broadcaster_id = ${broadcasterId}::bigint
          on conflict (broadcaster_id) do nothing
          returning nonce
        )
        select nonce from made
        union all
        select nonce from stream_keys where broadcaster_id = ${broadcasterId}::bigint
        limit 1`
      return row ? derive(broadcasterId, row.nonce) : undefined
    },
    reset: async (tx, broadcasterId) => {
      const { nonce, key } = fresh(broadcasterId)
      const [row] = await tx.sql`
        insert into stream_keys (broadcaster_id, nonce, key_hash)
        select broadcaster_id, ${nonce}, ${hashStreamKey(key)} from channels where broadcaster_id = ${broadcasterId}::bigint
        on conflict (broadcaster_id) do update set nonce = excluded.nonce, key_hash = excluded.key_hash
        returning 1`
      return row ? key : undefined
    },
    verify: async (presented) => {
      const match = KEY_FORMAT.exec(presented)
      if (!match || BigInt(match[1]!) > MAX_ID) return undefined
      const broadcasterId = match[1]!
      const [row] = await database.sql<{ key_hash: string }[]>`
        select key_hash from stream_keys where broadcaster_id = ${broadcasterId}::bigint`
      const keyHash = hashStreamKey(presented)
      if (!row || !timingSafeEqual(Buffer.from(row.key_hash, 'hex'), Buffer.from(keyHash, 'hex'))) return undefined
      return { broadcasterId, keyHash }
    },
  }
}
