import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import type { Logger } from 'pino'
import type { EventMetrics } from './metrics.ts'
import { inbox } from './schema.ts'
import type { ConsumedEvents, Consumer, EventEnvelope, Outcome } from './types.ts'

/** An event waiting to be handled, and where its outcome goes. */
type Pending = { index: number; event: EventEnvelope }

const message = (error: unknown) => (error instanceof Error ? error.message : String(error))

/** Names the event whose handler threw, so the rest of its batch can go again without it. */
class HandlerFailed extends Error {
  constructor(
    readonly index: number,
    override readonly cause: unknown,
  ) {
    super(message(cause))
  }
}

/**
 * The consuming side of a module: handlers run in a transaction on the module's database that
 * also records each event in its inbox, so an event delivered twice has its effect once.
 */
export function createInbox(options: {
  module: string
  db: PostgresJsDatabase
  consumes: ConsumedEvents
  metrics: EventMetrics
  log: Logger
}): Consumer {
  const { module, db, consumes, metrics, log } = options

  /** Handles `batch` in one transaction and, once it has committed, writes each event's outcome at its index. */
  const handleTogether = async (batch: Pending[], outcomes: Outcome[]) => {
    const handled = await db.transaction(async (tx) => {
      const fresh = await tx
        .insert(inbox)
        .values(batch.map(({ event }) => ({ eventId: event.id, consumer: module })))
        .onConflictDoNothing()
        .returning({ eventId: inbox.eventId })
      const unseen = new Set(fresh.map((row) => row.eventId))
      const handled = new Set<number>()
      for (const { index, event } of batch) {
        // `delete`, so a batch carrying one event twice handles it once.
        if (!unseen.delete(event.id)) continue
        try {
          await consumes[event.type]?.handle(tx, event)
        } catch (error) {
          throw new HandlerFailed(index, error)
        }
        handled.add(index)
      }
      return handled
    })
    for (const { index } of batch) outcomes[index] = { status: handled.has(index) ? 'handled' : 'duplicate' }
  }

  return {
    module,
    types: Object.keys(consumes),
    async deliver(events) {
      const outcomes: Outcome[] = []
      const valid: Pending[] = []
      events.forEach((event, index) => {
        const contract = consumes[event.type]
        const parsed = contract?.schema.safeParse(event.payload)
        if (!parsed?.success) {
          const error = parsed
            ? `payload breaks the ${event.type} contract: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`
            : `${module} does not consume ${event.type}`
          outcomes[index] = { status: 'rejected', error }
        } else {
          valid.push({ index, event: { ...event, payload: parsed.data } })
        }
      })
      // One transaction for the lot; when a handler throws, its event fails and the rest go again without it.
      let remaining = valid
      while (remaining.length > 0) {
        try {
          await handleTogether(remaining, outcomes)
          break
        } catch (error) {
          // Not a handler's doing (the database is away, most likely): no event is to blame, so none
          // loses an attempt; the transport tries them all again later.
          if (!(error instanceof HandlerFailed)) throw error
          const culprit = error.index
          const event = events[culprit]
          outcomes[culprit] = { status: 'failed', error: message(error.cause) }
          log.warn({ err: error.cause, eventId: event?.id, type: event?.type }, 'event handler failed')
          remaining = remaining.filter(({ index }) => index !== culprit)
        }
      }
      events.forEach((event, index) => {
        const status = outcomes[index]?.status
        if (status === 'handled') metrics.consumed.inc({ module, type: event.type })
        else if (status === 'failed' || status === 'rejected') metrics.failed.inc({ module, type: event.type })
      })
      return outcomes
    },
  }
}
