import type { z } from 'zod'
import type { ConsumedEvents, EventBatchHandler, EventContracts, EventHandler } from './types.ts'

/** A handler of one event type: one event per call, or `{ handleMany }` for all those of a delivery at once. */
type HandlerOf<T extends string, P> = EventHandler<T, P> | { handleMany: EventBatchHandler<T, P> }

/**
 * Pairs handlers with the contracts of the events they handle, for a module's `consumes`:
 *
 *   consumes: consume(usersEvents, {
 *     'users.followed.v1': (tx, event) => …,                   // one event per call
 *     'users.registered.v1': { handleMany: (tx, events) => … }, // a delivery's events at once
 *   })
 *
 * Each handler gets payloads already checked against their contract, and runs in a
 * transaction on the consuming module's database that also records the events in the inbox.
 * A third argument carries the module's clock, for a rule judged at arrival
 * (`(tx, event, { clock }) => …`): the test platform's moved one in tests.
 * Spread several calls together to consume from several modules.
 */
export function consume<C extends EventContracts>(
  contracts: C,
  handlers: { [T in keyof C & string]?: HandlerOf<T, z.output<C[T]>> },
): ConsumedEvents {
  const consumed: ConsumedEvents = {}
  for (const [type, handler] of Object.entries(handlers)) {
    const schema = contracts[type]
    if (!schema || !handler) continue
    // Payloads are parsed with `schema` before a handler sees them, which makes these casts true.
    consumed[type] =
      typeof handler === 'function'
        ? { schema, handle: handler as EventHandler }
        : { schema, handleMany: handler.handleMany as EventBatchHandler }
  }
  return consumed
}
