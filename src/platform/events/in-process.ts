import type { Logger } from 'pino'
import type { EventMetrics } from './metrics.ts'
import type { Consumer, EventEnvelope, Failure, Transport } from './types.ts'

/** Waits after each failed attempt at an event: about 10 s in all before it is dead-lettered. */
const RETRY_DELAYS_MS = [200, 800, 2400, 6400]

/** Parked events retried per round; the rest wait for the next. */
const RETRY_BATCH = 100

/**
 * Hands events straight to the consumers in this process, for when every module that
 * exchanges events runs here and there is no Redis. `publish` resolves only once every
 * consumer has committed the events or recorded their failure in its own `dead_letters`
 * table, so the relay's "published" mark comes after either: a crash in between means a
 * redelivery, which the inbox absorbs. A failed event is retried from that table on a timer of
 * its own, never inside the relay's hand-over, so the events behind it go on at once; after
 * MAX_ATTEMPTS (at once for one that breaks its contract) it stays there, dead-lettered.
 * A consumer whose database is down fails the whole hand-over: the events wait in the outbox.
 */
export function createInProcessTransport(options: {
  metrics: EventMetrics
  log: Logger
  retryDelaysMs?: number[]
}): Transport {
  const { metrics, log, retryDelaysMs = RETRY_DELAYS_MS } = options
  const consumers: Consumer[] = []
  let stopped = false
  const timers = new Map<Consumer, Timer>()
  const running = new Set<Promise<void>>()

  const deadLettered = (consumer: Consumer, event: EventEnvelope, error: string, attempts: number) => {
    metrics.deadLettered.inc({ module: consumer.module, type: event.type })
    log.error({ consumer: consumer.module, eventId: event.id, type: event.type, attempts, error }, 'event dead-lettered')
  }

  /** Wakes the consumer's retry round in `ms`, unless one is due sooner. */
  const schedule = (consumer: Consumer, ms: number) => {
    if (stopped) return
    const at = Date.now() + ms
    const current = timers.get(consumer) as (Timer & { at?: number }) | undefined
    if (current?.at !== undefined && current.at <= at) return
    if (current) clearTimeout(current)
    const timer = setTimeout(() => {
      timers.delete(consumer)
      const round = retry(consumer)
        .catch((error: unknown) => {
          // Its database is away, most likely: the events stay parked; try again later.
          log.warn({ err: error, consumer: consumer.module }, 'retrying parked events failed')
          schedule(consumer, retryDelaysMs.at(-1) ?? 1000)
        })
        .finally(() => running.delete(round))
      running.add(round)
    }, ms) as Timer & { at?: number }
    timer.at = at
    timers.set(consumer, timer)
  }

  /** Delivers `events` once; records the failures (retried later or dead), and wakes the retry round. */
  const attempt = async (consumer: Consumer, events: EventEnvelope[]): Promise<Set<string>> => {
    const outcomes = await consumer.deliver(events)
    const failures: Failure[] = []
    const settled = new Set<string>()
    events.forEach((event, i) => {
      const outcome = outcomes[i]
      if (outcome && 'error' in outcome) failures.push({ event, error: outcome.error, final: outcome.status === 'rejected' })
      else settled.add(event.id)
    })
    if (failures.length === 0) return settled
    if (!consumer.deadLetters) {
      // A consumer with no table of its own (a hand-made one): nothing to retry from.
      for (const { event, error } of failures) deadLettered(consumer, event, error, 1)
      return settled
    }
    for (const { event, attempts, retryAt } of await consumer.deadLetters.record(failures, retryDelaysMs)) {
      if (retryAt === null) deadLettered(consumer, event, failures.find((f) => f.event === event)!.error, attempts)
    }
    const next = await consumer.deadLetters.nextRetryInMs()
    if (next !== undefined) schedule(consumer, next)
    return settled
  }

  /** One retry round of a consumer's parked events that are due. */
  const retry = async (consumer: Consumer) => {
    const deadLetters = consumer.deadLetters
    if (!deadLetters || stopped) return
    const due = await deadLetters.due(RETRY_BATCH)
    if (due.length > 0) await deadLetters.resolve([...(await attempt(consumer, due))])
    const next = await deadLetters.nextRetryInMs()
    if (next !== undefined) schedule(consumer, next)
  }

  const deliverTo = async (consumer: Consumer, events: EventEnvelope[], targeted = false) => {
    if (stopped) throw new Error('in-process transport stopped; events stay in the outbox')
    // A snapshot's events (targeted) are only those the consumer asked for, and its completion mark.
    const pending = targeted ? events : events.filter((event) => consumer.types.includes(event.type))
    if (pending.length > 0) await attempt(consumer, pending)
  }

  return {
    subscribe: (consumer) => void consumers.push(consumer),
    async publish(events, target) {
      if (target === undefined) {
        await Promise.all(consumers.map((consumer) => deliverTo(consumer, events)))
        return
      }
      const consumer = consumers.find((c) => c.module === target)
      // Holding them back would hold back the whole outbox: a consumer not deployed gets nothing anyway.
      if (consumer) await deliverTo(consumer, events, true)
      else log.warn({ target, events: events.length }, 'snapshot events for a module this process does not run dropped')
    },
    async start() {
      // Events parked before a restart are picked up where they were.
      for (const consumer of consumers) {
        const next = await consumer.deadLetters?.nextRetryInMs()
        if (next !== undefined) schedule(consumer, next)
      }
    },
    // Nothing between here and the consumers that could be away.
    readiness: async () => ({ events_transport: 'ok' }),
    async stop() {
      stopped = true
      for (const timer of timers.values()) clearTimeout(timer)
      timers.clear()
      await Promise.allSettled([...running])
    },
  }
}
