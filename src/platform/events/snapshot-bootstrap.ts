import Redis from 'ioredis'
import type { Logger } from 'pino'
import type { Sql } from 'postgres'
import type { Clock } from '../clock.ts'
import type { ModuleDefinition } from '../module.ts'
import { backoff, pause } from './pause.ts'
import { writeSnapshot } from './snapshot.ts'
import { requestFirstSnapshot } from './snapshot-records.ts'
import { sendSnapshotRequest } from './snapshot-requests.ts'

type Mounted = { definition: ModuleDefinition; sql: Sql }

/** Each (consumer here, producer with a snapshot) pair, with the types the one consumes from the other. */
export function snapshotPairs(consumers: ModuleDefinition[], definitions: ModuleDefinition[]) {
  return consumers.flatMap((consumer) =>
    definitions.flatMap((producer) => {
      if (producer.name === consumer.name || !producer.snapshot) return []
      const types = Object.keys(consumer.consumes ?? {}).filter((type) => type in (producer.produces ?? {}))
      return types.length > 0 ? [{ consumer, producer, types }] : []
    }),
  )
}

/**
 * The first start of a consuming module with no record of a producer's snapshot gets one
 * (DESIGN §6): written straight into the producer's outbox when the producer runs in this
 * process, else asked of its replicas over Redis. Runs in the background after the relays
 * start, retrying until it has recorded each request; the record makes it once per consumer
 * database, whatever the restarts and replicas.
 */
export function createSnapshotBootstrap(options: {
  consumers: Mounted[]
  producers: Mounted[]
  definitions: ModuleDefinition[]
  redis: { url: string; prefix: string } | undefined
  log: Logger
  /** The modules' clock, handed to the snapshots written here (default: the system's). */
  clock?: Clock
}) {
  const { consumers, producers, definitions, log, clock } = options
  const stopping = new AbortController()
  let running: Promise<void> | undefined
  let redis: Redis | undefined

  const request = async (consumer: Mounted, producer: ModuleDefinition, types: string[]) => {
    const local = producers.find((p) => p.definition.name === producer.name)
    const requested = await requestFirstSnapshot(consumer.sql, consumer.definition.name, producer.name, async () => {
      if (local) {
        const { definition, sql } = local
        await writeSnapshot({ producer: definition, sql, consumer: consumer.definition.name, types, signal: stopping.signal, clock })
      } else if (options.redis) {
        redis ??= new Redis(options.redis.url, { connectionName: 'ondes-snapshot-requests', maxRetriesPerRequest: 1 }).on(
          'error',
          // The failed XADD says it, and is retried.
          () => {},
        )
        await sendSnapshotRequest(redis, options.redis.prefix, { producer: producer.name, consumer: consumer.definition.name, types })
      } else {
        // checkEventRoutes refuses such a process; said here in case that ever changes.
        throw new Error(`${producer.name} runs elsewhere and there is no Redis to ask it for a snapshot`)
      }
    })
    if (requested) log.info({ consumer: consumer.definition.name, producer: producer.name, local: Boolean(local) }, 'first snapshot requested')
  }

  const run = async () => {
    const pairs = snapshotPairs(
      consumers.map((c) => c.definition),
      definitions,
    )
    for (const { consumer, producer, types } of pairs) {
      const mounted = consumers.find((c) => c.definition.name === consumer.name)!
      for (let failures = 1; !stopping.signal.aborted; failures++) {
        try {
          await request(mounted, producer, types)
          break
        } catch (error) {
          if (failures === 1) log.warn({ err: error, consumer: consumer.name, producer: producer.name }, 'first snapshot request failed; retrying')
          await pause(backoff(failures), stopping.signal)
        }
      }
    }
  }

  return {
    start() {
      running = run()
    },
    async stop() {
      stopping.abort()
      await running
      redis?.disconnect()
    },
  }
}
