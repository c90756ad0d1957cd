import { createHash } from 'node:crypto'
import { z } from '@hono/zod-openapi'
import type { ModuleDatabase, Transaction } from '../../platform/db/database.ts'
import { subscriptionsError } from './errors.ts'

/** The `Idempotency-Key` header as Stripe takes it: up to 255 printable ASCII characters. */
export const IdempotencyKeyHeader = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, '1 to 255 printable ASCII characters')
    .optional()
    .openapi({ description: 'Retries with the same key and body get the first answer, not a second effect (kept 24 h)' }),
})

/** The header where a paid action requires it (subscriptions, gifts): a missing key is a 400. */
export const RequiredIdempotencyKeyHeader = z.object({ 'idempotency-key': IdempotencyKeyHeader.shape['idempotency-key'].unwrap() })

/** One spending request under a key: who sent it, which operation, and what it asked (hashed). */
export type IdempotentRequest = { userId: string; operation: string; key: string; request: unknown }

/** The first answer to a key, replayed to its retries. */
export type StoredAnswer = { status: number; body: unknown }

const hashOf = (request: unknown) => createHash('sha256').update(JSON.stringify(request)).digest('base64url')

/**
 * Runs `work` once per key, in the transaction that claims the key: a retry (even one sent
 * while the first still runs, which waits on the key's row) gets the stored answer; the same
 * key with another request is `idempotency.mismatch`. A `work` that fails claims nothing, so
 * its retry runs again.
 * @example
 * const { answer, replayed } = await once(database, { userId, operation: 'redeem', key, request: { rewardId, body } }, (tx) => redeemIn(tx))
 */
export async function once(
  database: ModuleDatabase,
  request: IdempotentRequest,
  work: (tx: Transaction) => Promise<StoredAnswer>,
): Promise<{ answer: StoredAnswer; replayed: boolean }> {
  const hash = hashOf(request.request)
  return database.transaction(async (tx) => {
    // A placeholder nobody else sees: it is answered before this commits.
    const [claimed] = await tx.sql`
      insert into idempotency_keys (user_id, operation, key, request_hash, status, response)
      values (${request.userId}, ${request.operation}, ${request.key}, ${hash}, 0, 'null')
      on conflict do nothing returning 1`
    if (!claimed) {
      const [stored] = await tx.sql<{ request_hash: string; status: number; response: unknown }[]>`
        select request_hash, status, response from idempotency_keys
        where user_id = ${request.userId} and operation = ${request.operation} and key = ${request.key}`
      if (!stored) throw new Error('idempotency key vanished between its conflict and its read')
      if (stored.request_hash !== hash) {
        throw subscriptionsError('idempotency.mismatch', 'This Idempotency-Key was used with another request', {
          errors: [{ field: 'idempotency-key', message: 'already used with another request' }],
        })
      }
      return { answer: { status: stored.status, body: stored.response }, replayed: true }
    }
    const answer = await work(tx)
    await tx.sql`
      update idempotency_keys set status = ${answer.status}, response = ${JSON.stringify(answer.body)}::text::jsonb
      where user_id = ${request.userId} and operation = ${request.operation} and key = ${request.key}`
    return { answer, replayed: false }
  })
}

/** Forgets keys older than a day; a job of the module's. */
export async function pruneIdempotencyKeys(database: ModuleDatabase): Promise<number> {
  const pruned = await database.sql`delete from idempotency_keys where created_at < now() - interval '1 day'`
  return pruned.count
}
