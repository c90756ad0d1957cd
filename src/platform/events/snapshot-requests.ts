import { hostname } from 'node:os'
import Redis from 'ioredis'
import type { Logger } from 'pino'
import type { Sql } from 'postgres'
import type { Clock } from '../clock.ts'
import { backoff, pause } from './pause.ts'
import { writeSnapshot, type Snapshot } from './snapshot.ts'
import type { EventContracts } from './types.ts'

/** How long one XREADGROUP for requests waits; also the longest a stopping responder takes to notice. */
const BLOCK_MS = 500

/** The stream a producer's replicas read snapshot requests from, as one consumer group named after it. */
export const snapshotRequestStream = (prefix: string, producer: string) => `${prefix}:snapshot-requests:${producer}`

/** The stream targeted events for `consumer` go to; only its group reads it. */
export const snapshotStream = (prefix: string, consumer: string) => `${prefix}:snapshot:${consumer}`

/** Asks `producer`'s replicas, over Redis, for a snapshot for `consumer` of the event types it consumes. */
export async function sendSnapshotRequest(
  redis: Redis,
  prefix: string,
  request: { producer: string; consumer: string; types: string[] },
): Promise<void> {
  await redis.xadd(
    snapshotRequestStream(prefix, request.producer),
    '*',
    'consumer',
    request.consumer,
    'types',
    JSON.stringify(request.types),
  )
}

type Producer = { name: string; produces?: EventContracts; snapshot?: Snapshot }
type Entry = [id: string, fields: string[]]

const field = (fields: string[], name: string) => fields[fields.indexOf(name) + 1]

/**
 * Answers snapshot requests for the producers of this process: each request is read by one
 * replica (a consumer group per producer), which writes the snapshot into its outbox targeted
 * at the requester and then acknowledges. The request stays claimed while it writes (XCLAIM
 * after each batch resets its idle time); one left by a replica that died is taken over after
 * `claimIdleMs` and written again, which only repeats facts.
 */
export function createSnapshotResponder(options: {
  url: string
  prefix: string
  claimIdleMs: number
  producers: { definition: Producer; sql: Sql }[]
  log: Logger
  /** The modules' clock, handed to the snapshots written here (default: the system's). */
  clock?: Clock
}) {
  const { url, prefix, claimIdleMs, log, clock } = options
  const consumerName = `${hostname()}:${process.pid}:${crypto.randomUUID().slice(0, 8)}`
  const stopping = new AbortController()
  const loops: Promise<void>[] = []

  const answer = async (redis: Redis, producer: { definition: Producer; sql: Sql }, stream: string, [id, fields]: Entry) => {
    const consumer = field(fields, 'consumer')
    const types = JSON.parse(field(fields, 'types') ?? '[]') as unknown
    const group = producer.definition.name
    if (!consumer || !Array.isArray(types)) {
      log.error({ producer: group, entryId: id, fields }, 'unreadable snapshot request dropped')
      await redis.xack(stream, group, id)
      return
    }
    const started = performance.now()
    const events = await writeSnapshot({
      producer: producer.definition,
      sql: producer.sql,
      consumer,
      types: types.map(String),
      onBatch: async () => void (await redis.xclaim(stream, group, consumerName, 0, id, 'JUSTID')),
      signal: stopping.signal,
      clock,
    })
    await redis.xack(stream, group, id)
    log.info({ producer: group, consumer, events, ms: Math.round(performance.now() - started) }, 'snapshot written')
  }

  const respond = async (producer: { definition: Producer; sql: Sql }) => {
    const group = producer.definition.name
    const stream = snapshotRequestStream(prefix, group)
    const redis = new Redis(url, { connectionName: `ondes-snapshots-${group}`, maxRetriesPerRequest: 1, blockingTimeout: BLOCK_MS + 1000 })
    // Failed commands say it below, once per outage.
    redis.on('error', () => {})
    let failures = 0
    let groupReady = false
    try {
      while (!stopping.signal.aborted) {
        try {
          if (!groupReady) {
            await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM').catch((error: Error) => {
              if (!error.message.includes('BUSYGROUP')) throw error
            })
            groupReady = true
          }
          const [, stale] = (await redis.xautoclaim(stream, group, consumerName, claimIdleMs, '0-0', 'COUNT', 1)) as [
            string,
            (Entry | [string, null])[],
          ]
          for (const entry of stale) if (entry[1]) await answer(redis, producer, stream, entry as Entry)
          const reply = (await redis.xreadgroup('GROUP', group, consumerName, 'COUNT', 1, 'BLOCK', BLOCK_MS, 'STREAMS', stream, '>')) as
            | [string, Entry[]][]
            | null
          for (const entry of reply?.[0]?.[1] ?? []) await answer(redis, producer, stream, entry)
          failures = 0
        } catch (error) {
          if (String(error).includes('NOGROUP')) groupReady = false
          if (failures++ === 0) log.warn({ err: error, producer: group }, 'snapshot requests: answering failed; retrying')
          await pause(backoff(failures), stopping.signal)
        }
      }
    } finally {
      redis.disconnect()
    }
  }

  return {
    start() {
      for (const producer of options.producers) loops.push(respond(producer))
    },
    async stop() {
      stopping.abort()
      await Promise.all(loops)
    },
  }
}
