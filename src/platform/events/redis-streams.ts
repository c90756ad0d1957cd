import { hostname } from 'node:os'
import Redis, { type RedisOptions } from 'ioredis'
import type { Logger } from 'pino'
import { Registry } from 'prom-client'
import { z } from 'zod'
import { jobMetrics } from '../jobs/metrics.ts'
import { scheduleJob, type ScheduledJob } from '../jobs/scheduled-job.ts'
import { sweepIdleConsumers } from './consumer-sweep.ts'
import type { ConsumerLag, EventMetrics } from './metrics.ts'
import { backoff } from './pause.ts'
import { snapshotStream } from './snapshot-requests.ts'
import { MAX_ATTEMPTS, type Consumer, type EventEnvelope, type Transport } from './types.ts'

/** How long one XREADGROUP waits for news; also the longest a stopping consumer takes to notice. */
const BLOCK_MS = 500
/** How long `readiness` waits for Redis to answer a PING. */
const READINESS_TIMEOUT_MS = 1000
/** Streams are capped (approximately) at this many entries; a consumer further behind than this loses events. */
const MAX_LENGTH = 1_000_000

/** What each stream entry's `event` field holds. */
const wireEvent = z.object({ id: z.uuid(), type: z.string().min(1), occurred_at: z.string(), payload: z.unknown() })

type Entry = { stream: string; id: string; fields: string[]; deliveries: number }
type StreamReply = [stream: string, entries: [id: string, fields: string[]][]][]

/** The value of field `name` in an entry's flat `[name, value, …]` list. */
function field(fields: string[], name: string): string | undefined {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1]
  return undefined
}

function readEnvelope(fields: string[]): EventEnvelope | undefined {
  try {
    const wire = wireEvent.parse(JSON.parse(field(fields, 'event') ?? ''))
    return { id: wire.id, type: wire.type, occurredAt: wire.occurred_at, payload: wire.payload }
  } catch {
    return undefined
  }
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error))

/**
 * Events through Redis Streams, for processes that do not run every module. One stream per
 * event type (`<prefix>:<type>`); each consuming module is a consumer group on the streams
 * it consumes, each replica one consumer. An entry is acknowledged only after the
 * consumer's transaction has committed; one a consumer failed or left behind (it crashed)
 * is claimed again once idle for `claimIdleMs`. When its handler fails on the
 * MAX_ATTEMPTS-th delivery (or later), or its payload breaks the contract, it goes to the
 * module's dead-letter stream (`<prefix>:dead-letter:<module>`) and is acknowledged. A
 * database outage fails no handler, so it dead-letters nothing: entries wait pending.
 * Consumers left in a group by replicas gone for `deadConsumerIdleMs`, with nothing pending, are
 * deleted (consumer-sweep.ts).
 */
export function createRedisStreamsTransport(options: {
  url: string
  prefix: string
  claimIdleMs: number
  deadConsumerIdleMs: number
  metrics: EventMetrics
  log: Logger
  /** Where the consumers' job metrics go (`job_*{job="consumer-read"|"consumer-reclaim"|"consumer-sweep"}`). */
  registry?: Registry
  batchSize?: number
}): Transport & { lag: () => Promise<ConsumerLag[]> } {
  const { url, prefix, claimIdleMs, deadConsumerIdleMs, metrics, log, batchSize = 200 } = options
  const consumerName = `${hostname()}:${process.pid}:${crypto.randomUUID().slice(0, 8)}`
  const streamOf = (type: string) => `${prefix}:${type}`
  const deadLetterStreamOf = (module: string) => `${prefix}:dead-letter:${module}`
  const consumers: Consumer[] = []
  const running: ScheduledJob[] = []
  const blockingConnections: Redis[] = []
  const jobs = jobMetrics(options.registry ?? new Registry())
  /** Each consuming module's read loop as /readyz would tell it: `ok`, or what is wrong. */
  const states = new Map<string, string>()

  /** A connection that fails its commands fast while Redis is away, and says so once per outage. */
  const connect = (name: string, extra: RedisOptions) => {
    const redis = new Redis(url, { connectionName: name, maxRetriesPerRequest: 1, ...extra })
    let down = false
    redis.on('error', (error) => {
      if (!down) log.warn({ err: error, connection: name }, 'redis unavailable; events wait in the outbox')
      down = true
    })
    redis.on('ready', () => {
      if (down) log.info({ connection: name }, 'redis back')
      down = false
    })
    return redis
  }
  const commands = connect('ondes-events', { commandTimeout: 2000 })

  const exec = async (pipeline: ReturnType<Redis['pipeline']>) => {
    const results = (await pipeline.exec()) ?? []
    for (const [error] of results) if (error) throw error
    return results.map(([, result]) => result)
  }

  const ensureGroups = async (group: string, streams: string[]) => {
    for (const stream of streams) {
      // From `0`: a module deployed after its producers still gets what the streams hold.
      await commands.xgroup('CREATE', stream, group, '0', 'MKSTREAM').catch((error: Error) => {
        if (!error.message.includes('BUSYGROUP')) throw error
      })
    }
  }

  type GiveUp = { entry: Entry; type: string; error: string }

  /** Moves entries to the module's dead-letter stream and acknowledges them, all in one MULTI. */
  const deadLetter = async (group: string, giveUps: GiveUp[]) => {
    if (giveUps.length === 0) return
    const multi = commands.multi()
    for (const { entry, error } of giveUps) {
      multi
        .xadd(
          deadLetterStreamOf(group),
          'MAXLEN',
          '~',
          MAX_LENGTH,
          '*',
          'stream',
          entry.stream,
          'id',
          entry.id,
          'deliveries',
          entry.deliveries,
          'error',
          error,
          'event',
          field(entry.fields, 'event') ?? '',
        )
        .xack(entry.stream, group, entry.id)
    }
    await exec(multi)
    for (const { entry, type, error } of giveUps) {
      metrics.deadLettered.inc({ module: group, type })
      log.error({ consumer: group, stream: entry.stream, entryId: entry.id, deliveries: entry.deliveries, error }, 'event dead-lettered')
    }
  }

  /** One XACK per stream for all of `entries`. */
  const acknowledge = async (group: string, entries: Entry[]) => {
    if (entries.length === 0) return
    const ids = new Map<string, string[]>()
    for (const entry of entries) {
      const list = ids.get(entry.stream)
      if (list) list.push(entry.id)
      else ids.set(entry.stream, [entry.id])
    }
    const pipeline = commands.pipeline()
    for (const [stream, streamIds] of ids) pipeline.xack(stream, group, ...streamIds)
    await exec(pipeline)
  }

  /** Delivers entries to the consumer; acknowledges what it is done with, dead-letters what it never will be. */
  const handle = async (consumer: Consumer, entries: Entry[]) => {
    const group = consumer.module
    const readable: { entry: Entry; event: EventEnvelope }[] = []
    const giveUps: GiveUp[] = []
    for (const entry of entries) {
      const event = readEnvelope(entry.fields)
      if (event) readable.push({ entry, event })
      else giveUps.push({ entry, type: 'unreadable', error: 'the entry holds no readable event' })
    }
    const outcomes = readable.length > 0 ? await consumer.deliver(readable.map((r) => r.event)) : []
    const done: Entry[] = []
    readable.forEach(({ entry, event }, i) => {
      const outcome = outcomes[i]
      if (!outcome || !('error' in outcome)) done.push(entry)
      else if (outcome.status === 'rejected' || entry.deliveries >= MAX_ATTEMPTS) {
        giveUps.push({ entry, type: event.type, error: outcome.error })
      }
      // Otherwise it stays pending, and comes back through XAUTOCLAIM once idle long enough.
    })
    await acknowledge(group, done)
    await deadLetter(group, giveUps)
  }

  /** Takes over entries idle past `claimIdleMs` (failed, or left by a consumer that died), one page per stream. */
  const reclaim = async (consumer: Consumer, streams: string[], cursors: Map<string, string>) => {
    for (const stream of streams) {
      const [next, claimed] = (await commands.xautoclaim(
        stream,
        consumer.module,
        consumerName,
        claimIdleMs,
        cursors.get(stream) ?? '0-0',
        'COUNT',
        batchSize,
      )) as [string, [string, string[] | null][]]
      cursors.set(stream, next)
      const live = claimed.filter((pair): pair is [string, string[]] => pair[1] !== null)
      if (live.length === 0) continue
      // XAUTOCLAIM has counted this delivery; XPENDING tells how many there have been in all.
      const counts = commands.pipeline()
      for (const [id] of live) counts.xpending(stream, consumer.module, id, id, 1)
      const pending = (await exec(counts)) as [id: string, consumer: string, idleMs: number, deliveries: number][][]
      await handle(
        consumer,
        live.map(([id, fields], i) => ({ stream, id, fields, deliveries: pending[i]?.[0]?.[3] ?? 1 })),
      )
    }
  }

  /** Deletes consumers of `group` gone quiet with nothing pending, other replicas' as much as ours. */
  const sweep = async (group: string, streams: string[]) => {
    for (const stream of streams) {
      const removed = await sweepIdleConsumers(commands, stream, group, deadConsumerIdleMs, consumerName)
      if (removed.length > 0) log.info({ consumer: group, stream, removed }, 'idle consumers without pending entries deleted')
    }
  }

  /**
   * A consuming module's three jobs: reading new entries (a run is one blocking XREADGROUP, and
   * the next starts at once), taking over entries left idle (XAUTOCLAIM) and sweeping consumers
   * of replicas gone. They run side by side: a reclaimed entry is one idle for `claimIdleMs`, so
   * not one the read job is handling, as between two replicas. Not singletons: every replica is
   * a consumer, and the sweep only deletes consumers with nothing pending.
   */
  const consume = (consumer: Consumer): ScheduledJob[] => {
    const group = consumer.module
    // Its streams, and the one of snapshot events targeted at it (snapshot-requests.ts).
    const streams = [...consumer.types.map(streamOf), snapshotStream(prefix, group)]
    // Blocking reads get a connection of their own; `blockingTimeout` ends a read a dead socket would hang.
    const blocking = connect(`ondes-events-${group}`, { blockingTimeout: BLOCK_MS + 1000 })
    blockingConnections.push(blocking)
    const cursors = new Map<string, string>()
    let groupsReady = false
    /** Each job's state; /readyz shows the first that is not `ok`. */
    const jobStates = new Map<string, string>()
    const report = () => {
      states.set(group, [...jobStates.values()].find((state) => state !== 'ok') ?? 'ok')
    }
    /** One run of `work`, after making the groups if need be, keeping the consumer's state. */
    const step = (name: string, work: () => Promise<void>) => async () => {
      try {
        if (!groupsReady) {
          await ensureGroups(group, streams)
          groupsReady = true
          // Ready to consume, as before the first read returns.
          for (const [other, state] of jobStates) if (state === 'starting') jobStates.set(other, 'ok')
          report()
        }
        await work()
        jobStates.set(name, 'ok')
      } catch (error) {
        // A stream deleted under us (FLUSHALL, a new Redis) loses its group: make it again.
        if (message(error).includes('NOGROUP')) groupsReady = false
        jobStates.set(name, `failing: ${message(error)}`)
        throw error
      } finally {
        report()
      }
    }
    const job = (name: string, everyMs: number, work: () => Promise<void>): ScheduledJob => {
      jobStates.set(name, 'starting')
      return scheduleJob(group, { name, everyMs, retryMs: backoff, failingAfter: 1, run: step(name, work) }, { log, metrics: jobs })
    }
    report()
    return [
      job('consumer-read', 0, async () => {
        const reply = (await blocking.xreadgroup(
          'GROUP',
          group,
          consumerName,
          'COUNT',
          batchSize,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          ...streams,
          ...streams.map(() => '>'),
        )) as StreamReply | null
        const entries = (reply ?? []).flatMap(([stream, items]) =>
          items.map(([id, fields]) => ({ stream, id, fields, deliveries: 1 })),
        )
        if (entries.length > 0) await handle(consumer, entries)
      }),
      job('consumer-reclaim', Math.max(50, Math.floor(claimIdleMs / 2)), () => reclaim(consumer, streams, cursors)),
      job('consumer-sweep', Math.min(60_000, Math.max(50, Math.floor(deadConsumerIdleMs / 2))), () => sweep(group, streams)),
    ]
  }

  return {
    subscribe: (consumer) => void consumers.push(consumer),
    async publish(events, target) {
      // MULTI rather than a plain pipeline: Redis serves a blocked XREADGROUP after each command
      // outside a transaction, so a consumer would read a batch's first entry alone and the rest
      // on its next read; after EXEC it reads the whole batch at once.
      const multi = commands.multi()
      for (const event of events) {
        const wire = JSON.stringify({ id: event.id, type: event.type, occurred_at: event.occurredAt, payload: event.payload })
        const stream = target === undefined ? streamOf(event.type) : snapshotStream(prefix, target)
        multi.xadd(stream, 'MAXLEN', '~', MAX_LENGTH, '*', 'event', wire)
      }
      await exec(multi)
    },
    async start() {
      for (const consumer of consumers) running.push(...consume(consumer))
      for (const job of running) job.start()
    },
    async stop() {
      await Promise.all(running.map((job) => job.stop()))
      for (const group of states.keys()) states.set(group, 'stopped')
      for (const blocking of blockingConnections) blocking.disconnect()
      await commands.quit().catch(() => commands.disconnect())
    },
    async readiness() {
      const answer = await Promise.race([commands.ping(), Bun.sleep(READINESS_TIMEOUT_MS).then(() => 'no answer in time')]).catch(
        (error: unknown) => message(error),
      )
      return {
        events_transport: answer === 'PONG' ? 'ok' : `redis down: ${answer}`,
        ...Object.fromEntries([...states].map(([module, state]) => [`events_consumer_${module}`, state])),
      }
    },
    async lag() {
      const pairs = consumers.flatMap((c) => c.types.map((type) => ({ module: c.module, type })))
      const pipeline = commands.pipeline()
      for (const { type } of pairs) pipeline.xinfo('GROUPS', streamOf(type))
      const results = (await pipeline.exec()) ?? []
      return pairs.flatMap(({ module, type }, i) => {
        const groups = (results[i]?.[1] ?? []) as (string | number | null)[][]
        const info = groups.map((flat) => new Map(flat.flatMap((v, j) => (j % 2 === 0 ? [[v, flat[j + 1]]] : []))))
        const mine = info.find((g) => g.get('name') === module)
        if (!mine) return []
        const lag = mine.get('lag')
        return [{ module, type, pending: Number(mine.get('pending') ?? 0), lag: typeof lag === 'number' ? lag : undefined }]
      })
    },
  }
}
