import type { z } from 'zod'
import type { ConsumedEvents, EventContracts, EventHandler } from './types.ts'

/**
 * Pairs handlers with the contracts of the events they handle, for a module's `consumes`:
 *
 *   consumes: consume(usersEvents, { 'users.followed.v1': (tx, event) => … })
 *
 * Each handler gets the payload already checked against its contract, and runs in a
 * transaction on the consuming module's database that also records the event in the inbox.
 * Spread several calls together to consume from several modules.
 */
export function consume<C extends EventContracts>(
  contracts: C,
  handlers: { [T in keyof C & string]?: EventHandler<T, z.output<C[T]>> },
): ConsumedEvents {
  const consumed: ConsumedEvents = {}
  for (const [type, handle] of Object.entries(handlers)) {
    const schema = contracts[type]
    // The payload is parsed with `schema` before `handle` sees it, which makes this cast true.
    if (schema && handle) consumed[type] = { schema, handle: handle as EventHandler }
  }
  return consumed
}
