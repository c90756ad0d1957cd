import type { Logger } from 'pino'
import type { EventMetrics } from './metrics.ts'
import { pause } from './pause.ts'
import { MAX_ATTEMPTS, type Consumer, type EventEnvelope, type Transport } from './types.ts'

/** Waits between attempts at a failing event: about 10 s in all before it is dead-lettered. */
const RETRY_DELAYS_MS = [200, 800, 2400, 6400]

/**
 * Hands events straight to the consumers in this process, for when every module that
 * exchanges events runs here and there is no Redis. `publish` resolves only once every
 * consumer has committed (or given up on) the events, so the relay's "published" mark
 * comes after the effect: a crash in between means a redelivery, which the inbox absorbs.
 * A consumer whose database is down fails the whole hand-over: the events wait in the outbox.
 */
export function createInProcessTransport(options: {
  metrics: EventMetrics
  log: Logger
  retryDelaysMs?: number[]
}): Transport {
  const { metrics, log, retryDelaysMs = RETRY_DELAYS_MS } = options
  const consumers: Consumer[] = []
  const stopping = new AbortController()

  const deadLetter = (consumer: Consumer, event: EventEnvelope, error: string) => {
    metrics.deadLettered.inc({ module: consumer.module, type: event.type })
    // Without Redis there is no dead-letter stream: the log line carries the whole event.
    log.error({ consumer: consumer.module, event, error }, 'event dead-lettered')
  }

  const deliverTo = async (consumer: Consumer, events: EventEnvelope[], targeted = false) => {
    // A snapshot's events (targeted) are only those the consumer asked for, and its completion mark.
    let pending = targeted ? events : events.filter((event) => consumer.types.includes(event.type))
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (stopping.signal.aborted) throw new Error('in-process transport stopped; events stay in the outbox')
      const outcomes = await consumer.deliver(pending)
      const retry: EventEnvelope[] = []
      pending.forEach((event, i) => {
        const outcome = outcomes[i]
        if (!outcome || !('error' in outcome)) return
        if (outcome.status === 'failed' && attempt < MAX_ATTEMPTS) retry.push(event)
        else deadLetter(consumer, event, outcome.error)
      })
      pending = retry
      if (pending.length > 0) await pause(retryDelaysMs[attempt - 1] ?? 0, stopping.signal)
    }
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
    async start() {},
    // Nothing between here and the consumers that could be away.
    readiness: async () => ({ events_transport: 'ok' }),
    async stop() {
      stopping.abort()
    },
  }
}
