import type { z } from 'zod'
import type { Clock } from '../clock.ts'
import type { Transaction } from '../db/database.ts'

/** A module's published language (`src/contracts/<module>.ts`): versioned event name → payload schema. */
export type EventContracts = Record<string, z.ZodType>

/** The transaction events are published and handled in: `ModuleDatabase.transaction`'s, drizzle with `tx.sql`. */
export type { Transaction }

/** One event as it travels: the outbox row's identity and time around the payload. */
export type EventEnvelope<T extends string = string, P = unknown> = {
  id: string
  type: T
  /** ISO 8601; the time of the producing transaction. */
  occurredAt: string
  payload: P
}

/** What a handler is told beside its events: the consuming module's clock, for a rule judged at arrival. */
export type HandlerContext = { clock: Clock }

export type EventHandler<T extends string = string, P = unknown> = (
  tx: Transaction,
  event: EventEnvelope<T, P>,
  context: HandlerContext,
) => Promise<void>

/**
 * Handles several events of one type in one call (in delivery order, each new to the consumer),
 * so a module can apply them in one statement. Types given the very same function share it: the
 * consecutive events of all of them come in one call. If it throws, its events are handled
 * again one per call, so that only the one to blame fails.
 */
export type EventBatchHandler<T extends string = string, P = unknown> = (
  tx: Transaction,
  events: EventEnvelope<T, P>[],
  context: HandlerContext,
) => Promise<void>

/** What a module consumes, per event type: the contract payloads are checked against, and the handler. */
export type ConsumedEvents = Record<string, { schema: z.ZodType } & ({ handle: EventHandler } | { handleMany: EventBatchHandler })>

/** How one delivery of one event ended for one consumer. */
export type Outcome =
  | { status: 'handled' | 'duplicate' }
  /** `rejected`: the event can never be handled (it breaks its contract); `failed`: it may be retried. */
  | { status: 'rejected' | 'failed'; error: string }

/** A consuming module as transports see it. */
export type Consumer = {
  module: string
  types: string[]
  /**
   * Handles the events in the module's database; one outcome per event, in order. Rejects,
   * having handled none, when the database itself fails rather than a handler.
   */
  deliver: (events: EventEnvelope[]) => Promise<Outcome[]>
  /** Where its failed events wait for a retry, then for a person: a table in its database. */
  deadLetters?: DeadLetters
}

/** One failed attempt at an event; `final` when it can never succeed (it breaks its contract). */
export type Failure = { event: EventEnvelope; error: string; final: boolean }

/** What became of a recorded failure: tried again at `retryAt`, or given up on (`retryAt` null). */
export type Recorded = { event: EventEnvelope; attempts: number; retryAt: Date | null }

/**
 * A consumer's failed events (`dead_letters` in its database): retried while `retry_at` is set,
 * dead-lettered for a person to look at once it is null.
 */
export type DeadLetters = {
  /**
   * Records one more failed attempt at each event; `delaysMs[n - 1]` is the wait after the n-th
   * failure; after MAX_ATTEMPTS, or at once when `final`, the event is given up on.
   */
  record: (failures: Failure[], delaysMs: number[]) => Promise<Recorded[]>
  /** Events whose retry is due, oldest failure first. */
  due: (limit: number) => Promise<EventEnvelope[]>
  /** Forgets events that have since been handled. */
  resolve: (eventIds: string[]) => Promise<void>
  /** Milliseconds until the next retry is due (0 if one is), or undefined when none waits. */
  nextRetryInMs: () => Promise<number | undefined>
}

export type Transport = {
  /**
   * Resolves once the events are handed over for good; the relay marks them published only
   * then. A rejection leaves them in the outbox for the next try. With `target` (a snapshot's
   * events) they go to that consuming module alone.
   */
  publish: (events: EventEnvelope[], target?: string) => Promise<void>
  /** Registers a consumer; call before `start`. */
  subscribe: (consumer: Consumer) => void
  start: () => Promise<void>
  stop: () => Promise<void>
  /** Named checks for /readyz, each `ok` or what is wrong (the transport's reachability, its consumers' loops). */
  readiness: () => Promise<Readiness>
}

/** Named checks, each `ok` or a short reason it is not. */
export type Readiness = Record<string, string>

/** Attempts at one event before a consumer gives up on it and dead-letters it. */
export const MAX_ATTEMPTS = 5
