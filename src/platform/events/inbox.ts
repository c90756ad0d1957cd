import type { Logger } from 'pino'
import { systemClock, type Clock } from '../clock.ts'
import type { ModuleDatabase } from '../db/database.ts'
import { createDeadLetters } from './dead-letters.ts'
import type { EventMetrics } from './metrics.ts'
import type { ConsumedEvents, Consumer, EventEnvelope, Outcome, Transaction } from './types.ts'

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

/** A batch handler threw: any of its events may be to blame, so they go again one per call. */
class BatchFailed extends Error {
  constructor(
    readonly type: string,
    override readonly cause: unknown,
  ) {
    super(message(cause))
  }
}

/** Deadlock and serialization failure: the transaction lost a race with another (a replica's), no event is to blame. */
const CONFLICTS = new Set(['40P01', '40001'])
/** How often a lost race is retried at once, the batch whole, before the transport's later retry takes over. */
const CONFLICT_RETRIES = 5

/** Whether `error`, or one it wraps (a handler's, drizzle's), is a lost race in Postgres. */
function isConflict(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (CONFLICTS.has(String((e as { code?: unknown }).code))) return true
  }
  return false
}

/**
 * Splits `pending` into runs of consecutive events sharing a handler, keeping the order: one type,
 * or several whose `handleMany` is the same function (one call takes them all).
 */
function runs(pending: Pending[], consumes: ConsumedEvents): Pending[][] {
  const handlerOf = (type: string) => {
    const handler = consumes[type]
    return handler && 'handleMany' in handler ? handler.handleMany : type
  }
  const out: Pending[][] = []
  for (const item of pending) {
    const last = out.at(-1)
    if (last && handlerOf(last[0]!.event.type) === handlerOf(item.event.type)) last.push(item)
    else out.push([item])
  }
  return out
}

/**
 * The consuming side of a module: handlers run in a transaction on the module's database that
 * also records each event in its inbox, so an event delivered twice has its effect once.
 */
export function createInbox(options: {
  module: string
  database: Pick<ModuleDatabase, 'transaction' | 'sql'>
  consumes: ConsumedEvents
  metrics: EventMetrics
  log: Logger
  /** The module's clock, handed to its handlers (default: the system's). */
  clock?: Clock
}): Consumer {
  const { module, database, consumes, metrics, log } = options
  const context = { clock: options.clock ?? systemClock }

  /** Runs the handlers of one run of events; `together` lets a batch handler take the run in one call. */
  const apply = async (tx: Transaction, run: Pending[], together: boolean) => {
    const type = run[0]!.event.type
    const handler = consumes[type]
    if (!handler) return
    if ('handleMany' in handler && together && run.length > 1) {
      try {
        await handler.handleMany(tx, run.map(({ event }) => event), context)
      } catch (error) {
        throw new BatchFailed(type, error)
      }
      return
    }
    for (const { index, event } of run) {
      try {
        if ('handleMany' in handler) await handler.handleMany(tx, [event], context)
        else await handler.handle(tx, event, context)
      } catch (error) {
        throw new HandlerFailed(index, error)
      }
    }
  }

  /** Handles `batch` in one transaction and, once it has committed, writes each event's outcome at its index. */
  const handleTogether = async (batch: Pending[], outcomes: Outcome[], together: boolean) => {
    const handled = await database.transaction(async (tx) => {
      // One statement whatever the batch size (an array parameter), so postgres.js prepares it once.
      const fresh = await tx.sql<{ event_id: string }[]>`
        insert into inbox (event_id, consumer)
        select unnest(${batch.map(({ event }) => event.id)}::uuid[]), ${module}
        on conflict do nothing
        returning event_id`
      const unseen = new Set(fresh.map((row) => row.event_id))
      // `delete`, so a batch carrying one event twice handles it once.
      const todo = batch.filter(({ event }) => unseen.delete(event.id))
      for (const run of runs(todo, consumes)) await apply(tx, run, together)
      return new Set(todo.map(({ index }) => index))
    })
    for (const { index } of batch) outcomes[index] = { status: handled.has(index) ? 'handled' : 'duplicate' }
  }

  return {
    module,
    types: Object.keys(consumes),
    deadLetters: createDeadLetters(database.sql, module),
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
      // One transaction for the lot. When a batch handler throws, the lot goes again with one event
      // per handler call; when a handler of one event throws, that event fails and the rest go again
      // without it. Either way only the event to blame loses an attempt.
      // A lost race (deadlock) blames no event: the batch goes again at once, whole, rather than one
      // event per call in long transactions that lose more races and wait out the claim window.
      let remaining = valid
      let together = true
      let conflicts = 0
      while (remaining.length > 0) {
        try {
          await handleTogether(remaining, outcomes, together)
          break
        } catch (error) {
          if (isConflict(error)) {
            if (conflicts++ < CONFLICT_RETRIES) continue
            throw error instanceof BatchFailed || error instanceof HandlerFailed ? error.cause : error
          }
          if (error instanceof BatchFailed) {
            log.warn({ err: error.cause, type: error.type }, 'batch event handler failed; handling its events one by one')
            together = false
            continue
          }
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
      // Counted per type, one increment each: prom-client hashes the labels on every call.
      const consumed = new Map<string, number>()
      const failed = new Map<string, number>()
      events.forEach((event, index) => {
        const status = outcomes[index]?.status
        const counts = status === 'handled' ? consumed : status === 'failed' || status === 'rejected' ? failed : undefined
        counts?.set(event.type, (counts.get(event.type) ?? 0) + 1)
      })
      for (const [type, n] of consumed) metrics.consumed.inc({ module, type }, n)
      for (const [type, n] of failed) metrics.failed.inc({ module, type }, n)
      return outcomes
    },
  }
}
