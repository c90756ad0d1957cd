import type { z } from 'zod'
import type { EventContracts, Transaction } from './types.ts'

/** The channel relays LISTEN on; NOTIFY is delivered at commit, so a relay never sees uncommitted rows. */
export const OUTBOX_CHANNEL = 'ondes_outbox'

export type Publish<C extends EventContracts> = <T extends keyof C & string>(
  tx: Transaction,
  type: T,
  payload: z.input<C[T]>,
) => Promise<string>

/**
 * Binds a module's contracts into its `publish(tx, type, payload)`: the payload is checked
 * against the contract, then written to the outbox in `tx`, the transaction of the change it
 * announces, so the event exists if and only if the change does. Returns the event id.
 * @example
 * const publish = publisher(usersEvents)
 * await database.transaction(async (tx) => {
 *   await tx.insert(followers).values({ followerId, followedId })
 *   await publish(tx, 'users.followed.v1', { follower_id, followed_id, followed_at, version })
 * })
 */
export function publisher<C extends EventContracts>(contracts: C): Publish<C> {
  return async (tx, type, payload) => {
    const schema = contracts[type]
    if (!schema) throw new Error(`${type} is not one of this module's events`)
    const id = crypto.randomUUID()
    const body = JSON.stringify(schema.parse(payload))
    // One round trip, one statement postgres.js prepares once per connection: the row, and the
    // wake-up call the relay gets once this commits. The payload goes as text (`::text::jsonb`),
    // so no client's json serializer can encode it a second time.
    await tx.sql`
      with written as (
        insert into outbox (event_id, type, payload) values (${id}, ${type}, ${body}::text::jsonb) returning 1
      )
      select pg_notify(${OUTBOX_CHANNEL}, '') from written`
    return id
  }
}
