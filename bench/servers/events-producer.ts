/**
 * Producer process of bench/events.ts: the real platform for the test-probe producer module
 * (`streams`, src/platform/events/test-probe.ts) — its outbox relay (LISTEN/NOTIFY, SKIP
 * LOCKED) handing events to Redis Streams — configured from the environment like any split
 * process (MODULES=streams, STREAMS_DATABASE_URL, REDIS_URL, EVENTS_STREAM_PREFIX, …).
 *
 * Two bench-only routes commit probe events the way module code does: each event written by
 * `publish(tx, …)` in the transaction of its change (a row in the producer's own `pings`
 * table), on the module's own pool, in this process, so the relay shares the event loop and
 * the pool with the work that feeds it, as it would in production.
 *
 *   POST /bench/paced?rate=500&seconds=10              one event per transaction, on a fixed schedule
 *   POST /bench/flood?seconds=10&workers=4&batch=10    as fast as it goes: `workers` loops of `batch` events per transaction
 *
 * Each answers one JSON object once its last transaction has committed; `next` is the payload
 * `n` the next event will carry (events are numbered from 0), so a bench can leave out the
 * events of a warm-up.
 */
import { loadConfig } from '../../src/platform/config.ts'
import type { ModuleDatabase } from '../../src/platform/db/database.ts'
import { publisher } from '../../src/platform/events/publish.ts'
import { probeEvents, probeProducer } from '../../src/platform/events/test-probe.ts'
import { pings } from '../../src/platform/events/test-probe/schema.ts'
import { createPlatform } from '../../src/platform/platform.ts'

const base = loadConfig()
// The probe has a name of its own, which MODULES (the five modules' list) does not take: the
// bench names it `streams` in the environment and it is mounted here under its own name.
const config = { ...base, modules: [probeProducer.name], databaseUrls: { [probeProducer.name]: base.databaseUrls.streams } }
// The module's own pool, as the platform hands it to module code (timed, DB_POOL_MAX), not one of ours.
let database: ModuleDatabase | undefined
const platform = await createPlatform(config, [
  {
    ...probeProducer,
    create: (context) => {
      database = context.database
      return probeProducer.create(context)
    },
  },
])
if (!database) throw new Error('the probe producer module was not mounted (MODULES must include streams)')
const { transaction } = database
const publish = publisher(probeEvents)

let sequence = 0
/** One transaction: `events` changes, each with its event, as a module's write path would commit them. */
const commit = (events: number) =>
  transaction(async (tx) => {
    for (let i = 0; i < events; i++) {
      const n = sequence++
      const id = await publish(tx, 'probe.pinged.v1', { n })
      await tx.insert(pings).values({ eventId: id, n, replica: 'source' })
    }
  })

/** `rate` transactions of one event each per second for `seconds`, started on schedule whatever the previous ones do. */
async function paced(rate: number, seconds: number) {
  const started = performance.now()
  const inFlight = new Set<Promise<void>>()
  let sent = 0
  let failed = 0
  let maxInFlight = 0
  const total = Math.round(rate * seconds)
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1)
    for (; sent < due; sent++) {
      const p: Promise<void> = commit(1).then(
        () => void inFlight.delete(p),
        () => {
          failed++
          inFlight.delete(p)
        },
      )
      inFlight.add(p)
    }
    maxInFlight = Math.max(maxInFlight, inFlight.size)
    // Bun's timers fire within about a millisecond: 1–2 events per tick at 500/s.
    await Bun.sleep(1)
  }
  await Promise.all(inFlight)
  return { events: sent - failed, failed, seconds: (performance.now() - started) / 1000, maxInFlight, next: sequence }
}

/** `workers` loops committing `batch` events per transaction until `seconds` have passed. */
async function flood(seconds: number, workers: number, batch: number) {
  const started = performance.now()
  const end = started + seconds * 1000
  let events = 0
  let transactions = 0
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < end) {
        await commit(batch)
        events += batch
        transactions++
      }
    }),
  )
  const elapsed = (performance.now() - started) / 1000
  return { events, transactions, seconds: elapsed, rate: events / elapsed, next: sequence }
}

const number = (url: URL, name: string, fallback: number) => {
  const value = Number(url.searchParams.get(name) ?? fallback)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`)
  return value
}

const server = Bun.serve({
  port: config.port,
  hostname: config.host,
  idleTimeout: 0,
  fetch: async (request) => {
    const url = new URL(request.url)
    if (request.method === 'POST' && url.pathname === '/bench/paced') {
      return Response.json(await paced(number(url, 'rate', 500), number(url, 'seconds', 10)))
    }
    if (request.method === 'POST' && url.pathname === '/bench/flood') {
      return Response.json(await flood(number(url, 'seconds', 10), number(url, 'workers', 4), number(url, 'batch', 10)))
    }
    return platform.fetch(request)
  },
})
platform.log.warn({ url: server.url.href }, 'bench events producer listening')

process.on('SIGTERM', () => {
  void (async () => {
    await server.stop(true)
    // Stops the relay after its current batch; what it has not published stays in the outbox.
    await platform.stop()
    process.exit(0)
  })()
})
