import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { Clock } from '../clock.ts'
import type { Config } from '../config.ts'
import type { ModuleDatabase } from '../db/database.ts'
import type { ModuleDefinition } from '../module.ts'
import { createInProcessTransport } from './in-process.ts'
import { createInbox } from './inbox.ts'
import { createInboxPruner } from './inbox-pruner.ts'
import { createEventMetrics, type OutboxStats } from './metrics.ts'
import { createRedisStreamsTransport } from './redis-streams.ts'
import { createRelay } from './relay.ts'
import { createSnapshotBootstrap } from './snapshot-bootstrap.ts'
import { recordingSnapshots } from './snapshot-records.ts'
import { createSnapshotResponder } from './snapshot-requests.ts'
import type { Readiness } from './types.ts'

export type EventBus = {
  start: () => Promise<void>
  stop: () => Promise<void>
  /**
   * Checks for /readyz, each `ok` or what is wrong: `events_transport` (Redis answers, or
   * in-process), `events_relay_<module>` per producer, `events_consumer_<module>` per consumer
   * on Redis Streams (its read loop).
   */
  readiness: () => Promise<Readiness>
}

/**
 * The events of this process: a relay for each module that produces, an inbox for each that
 * consumes, and between them Redis Streams when REDIS_URL is set, else in-process delivery
 * (`checkEventRoutes` has made sure that is enough).
 */
export function createEventBus(options: {
  config: Config
  log: Logger
  registry: Registry
  modules: { definition: ModuleDefinition; database: ModuleDatabase }[]
  /** Every module the build knows, run here or not: whose snapshots a consumer here may ask for. */
  definitions?: ModuleDefinition[]
  /** The modules' clock, handed to their handlers and snapshots (default: the system's). */
  clock?: Clock
}): EventBus {
  const { config, registry, modules } = options
  const log = options.log.child({ component: 'events' })
  const producers = modules.filter(({ definition }) => Object.keys(definition.produces ?? {}).length > 0)

  const outboxStats = () =>
    Promise.all(
      producers.map(async ({ definition, database }): Promise<OutboxStats> => {
        const [row] = await database.sql<{ backlog: number; age: number }[]>`
          select count(*)::int as backlog,
                 coalesce(extract(epoch from now() - min(occurred_at)), 0)::float8 as age
          from outbox where published_at is null`
        return { module: definition.name, backlog: row?.backlog ?? 0, oldestAgeSeconds: row?.age ?? 0 }
      }),
    )
  const metrics = createEventMetrics(registry, {
    outboxes: outboxStats,
    // Read at scrape time, by when the transport exists.
    lag: async () => (streams ? streams.lag() : []),
  })

  const streams = config.redisUrl
    ? createRedisStreamsTransport({
        url: config.redisUrl,
        prefix: config.events.streamPrefix,
        claimIdleMs: config.events.claimIdleMs,
        deadConsumerIdleMs: config.events.deadConsumerIdleMs,
        metrics,
        log,
        registry,
      })
    : undefined
  const transport = streams ?? createInProcessTransport({ metrics, log })

  const consumers = modules.filter(({ definition }) => Object.keys(definition.consumes ?? {}).length > 0)
  for (const { definition, database } of consumers) {
    transport.subscribe(
      recordingSnapshots(
        createInbox({ module: definition.name, database, consumes: definition.consumes ?? {}, metrics, log, clock: options.clock }),
        database.sql,
      ),
    )
  }
  const pruners = consumers.map(({ definition, database }) =>
    createInboxPruner({ module: definition.name, sql: database.sql, retentionHours: config.events.inboxRetentionHours, log, registry }),
  )
  const relays = producers.map(({ definition, database }) =>
    createRelay({ module: definition.name, sql: database.sql, transport, metrics, log, registry }),
  )

  const mountedSql = (list: typeof modules) => list.map(({ definition, database }) => ({ definition, sql: database.sql }))
  const snapshotRedis = config.redisUrl ? { url: config.redisUrl, prefix: config.events.streamPrefix } : undefined
  const bootstrap = createSnapshotBootstrap({
    consumers: mountedSql(consumers),
    producers: mountedSql(producers),
    definitions: options.definitions ?? modules.map(({ definition }) => definition),
    redis: snapshotRedis,
    log,
    clock: options.clock,
  })
  const responder = snapshotRedis
    ? createSnapshotResponder({
        ...snapshotRedis,
        claimIdleMs: config.events.claimIdleMs,
        producers: mountedSql(producers.filter(({ definition }) => definition.snapshot)),
        log,
        clock: options.clock,
      })
    : undefined

  return {
    async start() {
      await transport.start()
      await Promise.all(relays.map((relay) => relay.start()))
      for (const pruner of pruners) pruner.start()
      responder?.start()
      bootstrap.start()
    },
    async stop() {
      await Promise.all([bootstrap.stop(), responder?.stop()])
      await Promise.all([...relays.map((relay) => relay.stop()), transport.stop(), ...pruners.map((pruner) => pruner.stop())])
    },
    async readiness() {
      // A process whose modules exchange no events has no event machinery to report on.
      if (producers.length === 0 && consumers.length === 0) return {}
      const checks = await transport.readiness()
      for (const relay of relays) checks[`events_relay_${relay.module}`] = relay.state()
      return checks
    },
  }
}
