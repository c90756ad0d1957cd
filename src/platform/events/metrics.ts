import { Counter, Gauge, type Registry } from 'prom-client'

export type OutboxStats = { module: string; backlog: number; oldestAgeSeconds: number }
export type ConsumerLag = { module: string; type: string; pending: number; lag: number | undefined }

export type EventMetrics = {
  published: Counter<'type'>
  consumed: Counter<'module' | 'type'>
  failed: Counter<'module' | 'type'>
  deadLettered: Counter<'module' | 'type'>
}

/** Sources the gauges read at scrape time; each must answer quickly or throw. */
export type EventGaugeSources = {
  outboxes: () => Promise<OutboxStats[]>
  lag: () => Promise<ConsumerLag[]>
}

const SCRAPE_TIMEOUT_MS = 1000

/** A source that answers within the scrape timeout, or as empty: a down database must not hang /metrics. */
function bounded<T>(source: () => Promise<T[]>): () => Promise<T[]> {
  return () =>
    Promise.race([source(), Bun.sleep(SCRAPE_TIMEOUT_MS).then((): T[] => [])]).catch((): T[] => [])
}

/** Both outbox gauges come from one query; the second gauge of a scrape reuses the first's answer. */
function shared<T>(source: () => Promise<T>, ttlMs: number): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined
  return () => {
    if (!last || performance.now() - last.at > ttlMs) last = { at: performance.now(), value: source() }
    return last.value
  }
}

export function createEventMetrics(registry: Registry, sources: EventGaugeSources): EventMetrics {
  const outboxes = shared(bounded(sources.outboxes), 500)
  const lag = bounded(sources.lag)
  new Gauge({
    name: 'events_outbox_backlog',
    help: 'Events in the module outbox not yet published',
    labelNames: ['module'],
    registers: [registry],
    async collect() {
      this.reset()
      for (const stats of await outboxes()) this.set({ module: stats.module }, stats.backlog)
    },
  })
  new Gauge({
    name: 'events_outbox_oldest_age_seconds',
    help: 'Age of the oldest unpublished event in the module outbox (0 when empty)',
    labelNames: ['module'],
    registers: [registry],
    async collect() {
      this.reset()
      for (const stats of await outboxes()) this.set({ module: stats.module }, stats.oldestAgeSeconds)
    },
  })
  const consumerLag = shared(lag, 500)
  new Gauge({
    name: 'events_consumer_pending',
    help: 'Events delivered to the consuming module and not yet acknowledged (Redis Streams)',
    labelNames: ['module', 'type'],
    registers: [registry],
    async collect() {
      this.reset()
      for (const l of await consumerLag()) this.set({ module: l.module, type: l.type }, l.pending)
    },
  })
  new Gauge({
    name: 'events_consumer_lag',
    help: 'Events in the stream not yet delivered to the consuming module (Redis Streams)',
    labelNames: ['module', 'type'],
    registers: [registry],
    async collect() {
      this.reset()
      for (const l of await consumerLag()) if (l.lag !== undefined) this.set({ module: l.module, type: l.type }, l.lag)
    },
  })
  return {
    published: new Counter({
      name: 'events_published_total',
      help: 'Events handed from an outbox to the transport',
      labelNames: ['type'],
      registers: [registry],
    }),
    consumed: new Counter({
      name: 'events_consumed_total',
      help: 'Events a consuming module handled (redeliveries it skipped are not counted)',
      labelNames: ['module', 'type'],
      registers: [registry],
    }),
    failed: new Counter({
      name: 'events_failed_total',
      help: 'Failed attempts at handling an event (each retry counts)',
      labelNames: ['module', 'type'],
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'events_dead_lettered_total',
      help: 'Events a consuming module gave up on after repeated failures or an invalid payload',
      labelNames: ['module', 'type'],
      registers: [registry],
    }),
  }
}
