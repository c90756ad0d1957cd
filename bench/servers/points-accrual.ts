/**
 * The points-accrual figure's consumer: the subscriptions module's real inbox (contract check,
 * inbox record, `earning`'s batched handler, one transaction per delivery) on a scratch
 * subscriptions database, fed `streams.viewer_minutes.v1` events as the consumer loop hands
 * them over — BENCH_BATCH events per delivery (the transport reads up to 200 per XREADGROUP),
 * BENCH_WORKERS deliveries in flight (consumer replicas). Each of BENCH_CHANNELS channels has
 * BENCH_VIEWERS signed-in viewers, every one of them in each minute's event; minutes follow one
 * another until BENCH_SECONDS have passed (after BENCH_WARMUP seconds left out). Prints one
 * JSON line: viewer-minutes credited, seconds, rate.
 */
import pino from 'pino'
import { Registry } from 'prom-client'
import { subscriptions } from '../../src/modules/subscriptions/index.ts'
import { createModuleDatabase } from '../../src/platform/db/database.ts'
import { createInbox } from '../../src/platform/events/inbox.ts'
import { createEventMetrics } from '../../src/platform/events/metrics.ts'
import type { EventEnvelope } from '../../src/platform/events/types.ts'
import { createMetrics } from '../../src/platform/metrics.ts'

const url = process.env.DATABASE_URL
if (!url) throw new Error('DATABASE_URL is required')
const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
const settings = {
  seconds: number('BENCH_SECONDS', 10),
  warmup: number('BENCH_WARMUP', 3),
  batch: number('BENCH_BATCH', 100),
  workers: number('BENCH_WORKERS', 1),
  channels: number('BENCH_CHANNELS', 100),
  viewers: number('BENCH_VIEWERS', 100),
}
const FIRST_CHANNEL = 1_000_000
const FIRST_USER = 2_000_000
const MINUTE_MS = 60_000

const database = createModuleDatabase({ module: 'subscriptions', url, poolMax: number('DB_POOL_MAX', 10), queryDuration: createMetrics().queryDuration })
const inbox = createInbox({
  module: 'subscriptions',
  database,
  consumes: subscriptions.consumes ?? {},
  metrics: createEventMetrics(new Registry(), { outboxes: async () => [], lag: async () => [] }),
  log: pino({ level: 'warn' }),
})

// Each channel's viewers are their own users (distinct balances), the same ones every minute.
const viewersOf = Array.from({ length: settings.channels }, (_, c) =>
  Array.from({ length: settings.viewers }, (_, v) => String(FIRST_USER + c * settings.viewers + v)),
)
const start = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - 24 * 60 * MINUTE_MS

/** Event `n` of the run: channel n mod channels, in minute n div channels. */
function event(n: number): EventEnvelope {
  const c = n % settings.channels
  const minute = new Date(start + Math.floor(n / settings.channels) * MINUTE_MS).toISOString()
  return {
    id: crypto.randomUUID(),
    type: 'streams.viewer_minutes.v1',
    occurredAt: minute,
    payload: {
      stream_id: String(c + 1),
      broadcaster_id: String(FIRST_CHANNEL + c + 1),
      minute,
      user_ids: viewersOf[c]!,
      anonymous_viewers: 0,
      chunk: 1,
      chunks: 1,
    },
  }
}

let next = 0
async function feed(seconds: number): Promise<{ viewerMinutes: number; events: number; seconds: number }> {
  const started = performance.now()
  const end = started + seconds * 1000
  let events = 0
  await Promise.all(
    Array.from({ length: settings.workers }, async () => {
      while (performance.now() < end) {
        const batch = Array.from({ length: settings.batch }, () => event(next++))
        const outcomes = await inbox.deliver(batch)
        const failed = outcomes.find((o) => o.status !== 'handled')
        if (failed) throw new Error(`an event was not handled: ${JSON.stringify(failed)}`)
        events += batch.length
      }
    }),
  )
  const elapsed = (performance.now() - started) / 1000
  return { viewerMinutes: events * settings.viewers, events, seconds: elapsed }
}

if (settings.warmup > 0) await feed(settings.warmup)
const measured = await feed(settings.seconds)
await database.close()
console.log(JSON.stringify({ ...measured, rate: measured.viewerMinutes / measured.seconds, delivered: next * settings.viewers }))
