/**
 * Figure "events" (issue 3, Speed): integration events through Redis Streams, from the
 * producer's outbox commit to the consumer's commit, with the real platform machinery in two
 * processes as in split mode — bench/servers/events-producer.ts (test-probe module `streams`:
 * publish(tx, …) in the transaction of a change, relay with LISTEN/NOTIFY + SKIP LOCKED,
 * XADD) and bench/servers/events-consumer.ts (test-probe module `analytics`: consumer group,
 * inbox + effect of each read's events in one transaction, XACK) — on this machine's
 * Postgres and Redis.
 *
 *   bun bench/events.ts
 *
 * (a) Throughput, two ways. The machinery alone: BENCH_EVENTS_BACKLOG (50 000) events are
 *     committed into the producer's outbox in one transaction, and events/s = events ÷
 *     (consumer's last commit − relay's first claim); beside it a raw ioredis XADD →
 *     XREADGROUP + XACK round trip (servers/streams-raw.ts, same entry size and batching).
 *     End to end: the producer commits events as fast as it goes for BENCH_DURATION seconds
 *     on the same cores; events/s = events ÷ (last consumer commit − first outbox
 *     occurred_at), so the drain of whatever backlog built up is counted; beside it the raw
 *     Postgres commit rate of the same transactions alone (servers/pg-raw.ts).
 * (b) Latency at BENCH_EVENTS_RATE (500) events/s, one event per producer transaction: consumer
 *     commit time − producer commit time, both stamped by Postgres itself at commit (a deferred
 *     constraint trigger added to the scratch databases); beside it the raw Redis round trip
 *     (ack time − send time) at the same rate.
 *
 * Every measurement follows a warm-up on the same processes (BENCH_WARMUP seconds of the same
 * load; 5 000 events for the backlog), left out of its figure: fresh processes open their pool
 * connections and compile their code on the first events, which would otherwise dominate p99.
 * Each round uses fresh databases, processes and streams; the run deletes its stream keys and
 * drops its databases when it ends or fails (Ctrl+C, which lib.ts turns into an exit, leaves
 * `test_streams_*` / `test_analytics_*` databases and `bench:events:*` keys behind).
 */
import Redis from 'ioredis'
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { resolve } from 'node:path'
import postgres, { type Sql } from 'postgres'
import { OUTBOX_CHANNEL } from '../src/platform/events/publish.ts'
import { PROBE_TYPE, probeProducer } from '../src/platform/events/test-probe.ts'
import { createDatabaseFromTemplate } from '../src/platform/testing/databases.ts'
import { cleanEnv, finished, fmtMs, LOG_DIR, log, pct, SETTINGS, spawnBun, startServer, table, tail, type Child, type Row } from './lib.ts'

export const THROUGHPUT_TARGET = 5_000
export const LATENCY_TARGET_MS = 50

const REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const EVENTS = {
  seconds: SETTINGS.duration,
  rate: Number(process.env.BENCH_EVENTS_RATE ?? 500),
  /** Producer transactions in flight at once when flooding, and events in each. */
  workers: Number(process.env.BENCH_EVENTS_WORKERS ?? 4),
  batch: Number(process.env.BENCH_EVENTS_BATCH ?? 10),
  /** How long the consumer may take to catch up after the producer stops, at most. */
  drainSeconds: Number(process.env.BENCH_EVENTS_DRAIN ?? 120),
  /** Events committed into the outbox in one transaction once the pipeline is warm, for the machinery's own rate. */
  backlog: Number(process.env.BENCH_EVENTS_BACKLOG ?? 50_000),
  /** Consumer processes (replicas of one consumer group), as `--scale analytics=N` would run. */
  consumers: Number(process.env.BENCH_EVENTS_CONSUMERS ?? 1),
  /** A directory: producer and consumer then write Bun CPU profiles (Markdown) there on exit. */
  profileDir: process.env.BENCH_EVENTS_PROFILE,
}
const profile = EVENTS.profileDir ? ['--cpu-prof-md', `--cpu-prof-dir=${EVENTS.profileDir}`] : []
/** Both probe modules share one migrations folder (outbox, inbox, pings). */
const MIGRATIONS = probeProducer.migrations
/** All this run's Redis keys start with it (the Redis is shared with tests and other runs). */
const PREFIX = `bench:events:${crypto.randomUUID().slice(0, 8)}`

// ---------------------------------------------------------------------------------------------
// Timestamps Postgres writes itself, so both processes' times come from one clock.

/** The effect's insert time (the handler runs last in its transaction, just before commit). */
const HANDLED_AT = `alter table pings add column handled_at timestamptz not null default clock_timestamp()`

/**
 * Commit time of each transaction that inserts into `table`: a deferred constraint trigger
 * fires during COMMIT, after every statement of the transaction; it records one row per
 * transaction (a transaction-local setting skips the rest). The stamp precedes the WAL flush
 * on both sides alike, and on the producer also the wait for the lock NOTIFY takes at commit
 * (commits that notify are serialized), which can only make the latency look longer.
 */
const commitStamp = (table: 'pings' | 'outbox') => [
  `create table if not exists bench_commits (txid bigint primary key, committed_at timestamptz not null)`,
  `create or replace function bench_stamp_commit() returns trigger language plpgsql as $$
   begin
     if coalesce(current_setting('bench.stamped', true), '') <> 'y' then
       perform set_config('bench.stamped', 'y', true);
       insert into bench_commits values (txid_current(), clock_timestamp());
     end if;
     return null;
   end $$`,
  `alter table ${table} add column txid bigint not null default txid_current()`,
  `create constraint trigger bench_stamp after insert on ${table} deferrable initially deferred
   for each row execute function bench_stamp_commit()`,
]

// ---------------------------------------------------------------------------------------------
// Helpers

const pgClient = (url: string): Sql => postgres(url, { max: 1, onnotice: () => {} })
const epochMs = (column: string) => `(extract(epoch from ${column}) * 1000)::float8`

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 200): Promise<T> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(intervalMs)
  }
}

export type Latencies = { count: number; p50ms: number; p95ms: number; p99ms: number; maxms: number }
function percentiles(values: number[]): Latencies {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
  return { count: sorted.length, p50ms: at(0.5), p95ms: at(0.95), p99ms: at(0.99), maxms: at(1) }
}

/** A child run to completion whose last stdout line is its JSON result. */
let client: Redis | undefined
/** The bench's own connection, made on first use so that importing this file opens nothing. */
const redis = () => (client ??= new Redis(REDIS_URL, { maxRetriesPerRequest: 1 }))
async function deleteKeys(prefix: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await redis().scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
    cursor = next
    if (keys.length > 0) await redis().del(...keys)
  } while (cursor !== '0')
}

// ---------------------------------------------------------------------------------------------
// The Ondes pipeline: producer and consumer processes on fresh databases and streams.

export type Pipeline = { producerUrl: string; producer: Sql; consumer: Sql; stop: () => Promise<void> }

/** `paced` adds the commit stamps of the latency figure; `flood` only the effect's insert time. */
export async function startPipeline(name: string, mode: 'flood' | 'paced'): Promise<Pipeline> {
  const cleanups: (() => Promise<unknown>)[] = []
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((error) => log(`cleanup: ${error}`))
  }
  try {
    const prefix = `${PREFIX}:${name}`
    cleanups.push(() => deleteKeys(prefix))
    const [producerDb, consumerDb] = await Promise.all([
      createDatabaseFromTemplate('streams', MIGRATIONS),
      createDatabaseFromTemplate('analytics', MIGRATIONS),
    ])
    cleanups.push(producerDb.drop, consumerDb.drop)
    const producer = pgClient(producerDb.url)
    const consumer = pgClient(consumerDb.url)
    cleanups.push(() => producer.end(), () => consumer.end())
    const consumerSetup = mode === 'paced' ? [HANDLED_AT, ...commitStamp('pings')] : [HANDLED_AT]
    const producerSetup = mode === 'paced' ? commitStamp('outbox') : []
    for (const statement of consumerSetup) await consumer.unsafe(statement)
    for (const statement of producerSetup) await producer.unsafe(statement)

    const dataDir = mkdtempSync(resolve(tmpdir(), 'ondes-bench-events-'))
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }))
    const shared = {
      REDIS_URL,
      EVENTS_STREAM_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir,
      DB_POOL_MAX: String(SETTINGS.poolMax),
    }
    // One after the other: both generate the signing keys in DATA_DIR on a first start.
    for (let replica = 1; replica <= EVENTS.consumers; replica++) {
      const consumerApp = await startServer(
        `events-consumer-${name}-${replica}`,
        [...profile, 'bench/servers/events-consumer.ts'],
        cleanEnv({ ...shared, MODULES: 'analytics', ANALYTICS_DATABASE_URL: consumerDb.url }),
        '/readyz',
      )
      cleanups.push(() => consumerApp.child.stop())
    }
    const producerApp = await startServer(
      `events-producer-${name}`,
      [...profile, 'bench/servers/events-producer.ts'],
      cleanEnv({ ...shared, MODULES: 'streams', STREAMS_DATABASE_URL: producerDb.url }),
      '/readyz',
    )
    cleanups.push(() => producerApp.child.stop())
    return { producerUrl: producerApp.url, producer, consumer, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

export async function drive<T>(pipeline: Pipeline, path: string): Promise<T> {
  const response = await fetch(`${pipeline.producerUrl}${path}`, {
    method: 'POST',
    signal: AbortSignal.timeout((EVENTS.seconds + 60) * 1000),
  })
  if (!response.ok) throw new Error(`producer ${path}: ${response.status} ${await response.text()}`)
  return (await response.json()) as T
}

/** Waits until the consumer has committed `events` effects. */
const consumed = (pipeline: Pipeline, events: number) =>
  until(
    `the consumer to commit ${events} events`,
    async () => {
      const [row] = await pipeline.consumer<{ n: number }[]>`select count(*)::int as n from pings`
      return (row?.n ?? 0) >= events ? row!.n : undefined
    },
    EVENTS.drainSeconds * 1000,
  )

export type Throughput = {
  rate: number
  events: number
  /** Events/s the producer committed into its outbox while it ran. */
  produced: number
  /** Events/s the consumer committed while the producer ran, and the backlog left when it stopped. */
  keptUp: number
  backlog: number
  drainSeconds: number
}

export type Drain = { rate: number; events: number; seconds: number }

/**
 * Commits `count` events (payload n = from, from+1, …) into the producer's outbox in one
 * transaction, with the NOTIFY publish() sends. Plain SQL: only what follows the commit is
 * measured here, and the producer process would be the slowest part of a bulk write.
 */
async function commitBacklog(pipeline: Pipeline, from: number, count: number): Promise<void> {
  await pipeline.producer.begin(async (tx) => {
    await tx.unsafe(
      `insert into outbox (event_id, type, payload)
       select gen_random_uuid(), $1, jsonb_build_object('n', i) from generate_series($2::int, $3::int) as i`,
      [PROBE_TYPE, from, from + count - 1],
    )
    await tx`select pg_notify(${OUTBOX_CHANNEL}, '')`
  })
}

/** Events numbered below this were the warm-up's; every figure leaves them out. */
const measured = (n: number) => `(payload->>'n')::int >= ${Math.floor(n)}`

/**
 * Relay, Redis Streams and inbox alone: a committed backlog, from the relay's first claim to
 * the consumer's last commit, once a smaller backlog has warmed both processes up (their
 * pools connected, their code compiled).
 */
async function ondesDrain(round: number): Promise<Drain> {
  const pipeline = await startPipeline(`backlog-${round}`, 'flood')
  try {
    const warm = Math.min(5_000, EVENTS.backlog)
    await commitBacklog(pipeline, 0, warm)
    await consumed(pipeline, warm)
    await commitBacklog(pipeline, warm, EVENTS.backlog)
    await consumed(pipeline, warm + EVENTS.backlog)
    // published_at is now() of the relay's claiming transaction: the first is when the relay began.
    const [p] = await pipeline.producer.unsafe<{ first: number }[]>(
      `select ${epochMs('min(published_at)')} as first from outbox where ${measured(warm)}`,
    )
    const [c] = await pipeline.consumer.unsafe<{ n: number; last: number }[]>(
      `select count(*)::int as n, ${epochMs('max(handled_at)')} as last from pings where n >= ${warm}`,
    )
    if (!p || !c) throw new Error('no timings')
    const seconds = (c.last - p.first) / 1000
    return { rate: c.n / seconds, events: c.n, seconds }
  } finally {
    await pipeline.stop()
  }
}

type Driven = { events: number; next: number; failed?: number; maxInFlight?: number }

async function ondesThroughput(round: number): Promise<Throughput> {
  const pipeline = await startPipeline(`flood-${round}`, 'flood')
  const flood = (seconds: number) =>
    drive<Driven>(pipeline, `/bench/flood?seconds=${seconds}&workers=${EVENTS.workers}&batch=${EVENTS.batch}`)
  try {
    const warm = await flood(SETTINGS.warmup)
    await consumed(pipeline, warm.next)
    const sent = await flood(EVENTS.seconds)
    await consumed(pipeline, sent.next)
    const [p] = await pipeline.producer.unsafe<{ n: number; first: number; last: number }[]>(
      `select count(*)::int as n, ${epochMs('min(occurred_at)')} as first, ${epochMs('max(occurred_at)')} as last
       from outbox where ${measured(warm.next)}`,
    )
    if (!p) throw new Error('the producer database is empty')
    const [c] = await pipeline.consumer.unsafe<{ n: number; last: number; in_window: number }[]>(
      `select count(*)::int as n, ${epochMs('max(handled_at)')} as last,
              count(*) filter (where handled_at <= to_timestamp($1::float8 / 1000))::int as in_window
       from pings where n >= ${warm.next}`,
      [p.last],
    )
    if (!c || c.n !== p.n) throw new Error(`producer committed ${p.n} events, consumer ${c?.n}`)
    const window = (p.last - p.first) / 1000
    return {
      rate: c.n / ((c.last - p.first) / 1000),
      events: c.n,
      produced: p.n / window,
      keptUp: c.in_window / window,
      backlog: p.n - c.in_window,
      drainSeconds: (c.last - p.last) / 1000,
    }
  } finally {
    await pipeline.stop()
  }
}

async function ondesLatency(round: number): Promise<Latencies & { fromOccurred: Latencies; maxInFlight: number }> {
  const pipeline = await startPipeline(`paced-${round}`, 'paced')
  const paced = async (seconds: number) => {
    const sent = await drive<Driven>(pipeline, `/bench/paced?rate=${EVENTS.rate}&seconds=${seconds}`)
    if (sent.failed) throw new Error(`${sent.failed} producer transactions failed`)
    await consumed(pipeline, sent.next)
    return sent
  }
  try {
    // The first events of fresh processes wait for pool connections and cold code: warm up first.
    const warm = await paced(SETTINGS.warmup)
    const sent = await paced(EVENTS.seconds)
    const produced = await pipeline.producer.unsafe<{ id: string; committed: number; occurred: number }[]>(
      `select o.event_id::text as id, ${epochMs('c.committed_at')} as committed, ${epochMs('o.occurred_at')} as occurred
       from outbox o join bench_commits c using (txid) where ${measured(warm.next)}`,
    )
    const handled = await pipeline.consumer.unsafe<{ id: string; committed: number }[]>(
      `select p.event_id::text as id, ${epochMs('c.committed_at')} as committed from pings p join bench_commits c using (txid) where p.n >= ${warm.next}`,
    )
    const source = new Map(produced.map((row) => [row.id, row]))
    const latencies: number[] = []
    const fromOccurred: number[] = []
    for (const row of handled) {
      const origin = source.get(row.id)
      if (!origin) throw new Error(`consumer handled ${row.id}, which the producer never committed`)
      latencies.push(row.committed - origin.committed)
      fromOccurred.push(row.committed - origin.occurred)
    }
    if (latencies.length !== sent.events) throw new Error(`${latencies.length} of ${sent.events} events carry both stamps`)
    return { ...percentiles(latencies), fromOccurred: percentiles(fromOccurred), maxInFlight: sent.maxInFlight ?? 0 }
  } finally {
    await pipeline.stop()
  }
}

// ---------------------------------------------------------------------------------------------
// Baselines

type RawResult = { events: number; seconds: number; rate: number }

async function rawStreams(round: number, mode: 'flood' | 'paced'): Promise<RawResult & Latencies> {
  const stream = `${PREFIX}:raw-${mode}-${round}:${PROBE_TYPE}`
  const group = 'raw'
  await redis().xgroup('CREATE', stream, group, '$', 'MKSTREAM')
  const env = cleanEnv({ REDIS_URL, BENCH_STREAM: stream, BENCH_GROUP: group, BENCH_TIMEOUT_SECONDS: String(EVENTS.drainSeconds) })
  try {
    const consumer = spawnBun(`raw-streams-consume-${mode}-${round}`, ['bench/servers/streams-raw.ts'], {
      ...env,
      BENCH_ROLE: 'consume',
    })
    const producer = spawnBun(`raw-streams-produce-${mode}-${round}`, ['bench/servers/streams-raw.ts'], {
      ...env,
      BENCH_ROLE: 'produce',
      BENCH_MODE: mode,
      BENCH_SECONDS: String(EVENTS.seconds),
      BENCH_RATE: String(EVENTS.rate),
      BENCH_BATCH: '500',
      BENCH_WARMUP: String(SETTINGS.warmup),
    })
    const bound = (EVENTS.seconds + EVENTS.drainSeconds + 30) * 1000
    const sent = await finished<RawResult>(producer, bound).catch(async (error) => {
      await consumer.stop()
      throw error
    })
    const received = await finished<RawResult & Latencies>(consumer, bound)
    if (received.events !== sent.events) throw new Error(`raw streams: sent ${sent.events}, received ${received.events}`)
    return received
  } finally {
    await redis().del(stream)
  }
}

async function rawPostgres(round: number): Promise<RawResult> {
  const database = await createDatabaseFromTemplate('streams', MIGRATIONS)
  try {
    const child = spawnBun(
      `raw-postgres-${round}`,
      ['bench/servers/pg-raw.ts'],
      cleanEnv({
        DATABASE_URL: database.url,
        DB_POOL_MAX: String(SETTINGS.poolMax),
        BENCH_SECONDS: String(EVENTS.seconds),
        BENCH_WORKERS: String(EVENTS.workers),
        BENCH_BATCH: String(EVENTS.batch),
      }),
    )
    return await finished<RawResult>(child, (EVENTS.seconds + 60) * 1000)
  } finally {
    await database.drop()
  }
}

// ---------------------------------------------------------------------------------------------

type EventsRound = {
  drain: Drain
  flood: Throughput
  rawStreams: RawResult & Latencies
  rawPostgres: RawResult
  latency: Latencies & { fromOccurred: Latencies; maxInFlight: number }
  rawLatency: RawResult & Latencies
  load: number[]
}

const perSecond = (x: number) => `${x.toFixed(0)} events/s`
const lat = (l: Latencies) => `p50 ${fmtMs(l.p50ms)}, p95 ${fmtMs(l.p95ms)}, p99 ${fmtMs(l.p99ms)}, max ${fmtMs(l.maxms)}`
/** The round whose `value` is the median of all rounds. */
const median = <R>(rounds: R[], value: (r: R) => number): R =>
  [...rounds].sort((a, b) => value(a) - value(b))[Math.floor((rounds.length - 1) / 2)]!

export async function events(): Promise<{ rows: Row[]; load: number[][] }> {
  log(
    `figure events: ${SETTINGS.rounds} round(s); backlog of ${EVENTS.backlog}; flood ${EVENTS.seconds} s (${EVENTS.workers} transactions of ${EVENTS.batch} events in flight); ` +
      `latency at ${EVENTS.rate} events/s for ${EVENTS.seconds} s; Redis ${REDIS_URL}, keys ${PREFIX}:*`,
  )
  const rounds: EventsRound[] = []
  try {
    for (let round = 1; round <= SETTINGS.rounds; round++) {
      const load: number[] = []
      const sample = () => load.push(loadavg()[0]!)
      const rs = await rawStreams(round, 'flood')
      sample()
      const drain = await ondesDrain(round)
      sample()
      const rp = await rawPostgres(round)
      sample()
      const flood = await ondesThroughput(round)
      sample()
      const rl = await rawStreams(round, 'paced')
      sample()
      const latency = await ondesLatency(round)
      sample()
      rounds.push({ drain, flood, rawStreams: rs, rawPostgres: rp, latency, rawLatency: rl, load })
      log(
        `round ${round}: backlog ${perSecond(drain.rate)} / raw streams ${perSecond(rs.rate)}; ` +
          `flood ${perSecond(flood.rate)} (producer ${perSecond(flood.produced)}, consumer ${perSecond(flood.keptUp)} while it ran, ` +
          `${flood.backlog} left, drained in ${flood.drainSeconds.toFixed(1)} s) / raw Postgres ${perSecond(rp.rate)}; ` +
          `latency at ${EVENTS.rate}/s: Ondes ${lat(latency)} / raw streams ${lat(rl)}; load ${load.map((l) => l.toFixed(2)).join(' ')}`,
      )
    }
  } finally {
    await deleteKeys(PREFIX).catch((error) => log(`could not delete ${PREFIX}:*: ${error}`))
    client?.disconnect()
    client = undefined
  }

  const d = median(rounds, (r) => r.drain.rate)
  const f = median(rounds, (r) => r.flood.rate)
  const l = median(rounds, (r) => r.latency.p99ms)
  const roundsOf = (pick: (r: EventsRound) => string) => rounds.map((r, i) => `${i + 1}: ${pick(r)}`).join('; ')
  const target = `≥ ${THROUGHPUT_TARGET.toLocaleString('en')} events/s`
  const rows: Row[] = [
    {
      figure: `5a. events/s, outbox → consumer commit: relay + Redis Streams + inbox draining ${EVENTS.backlog.toLocaleString('en')} committed events`,
      ondes: perSecond(d.drain.rate),
      baseline: `${perSecond(d.rawStreams.rate)} (raw ioredis XADD → XREADGROUP + XACK)`,
      ratio: pct(d.drain.rate / d.rawStreams.rate),
      target,
      met: d.drain.rate >= THROUGHPUT_TARGET,
      notes: [
        `rounds (Ondes / raw streams): ${roundsOf((r) => `${r.drain.rate.toFixed(0)} / ${r.rawStreams.rate.toFixed(0)}`)}`,
        `median round: ${d.drain.events} events in ${d.drain.seconds.toFixed(2)} s from the relay's first claim to the consumer's last commit`,
      ],
    },
    {
      figure: `5a′. events/s end to end, the producer committing flat out on the same cores (${EVENTS.workers} × ${EVENTS.batch} events per transaction)`,
      ondes: perSecond(f.flood.rate),
      baseline: `${perSecond(f.rawPostgres.rate)} (raw postgres.js: the producer's transactions alone)`,
      ratio: pct(f.flood.rate / f.rawPostgres.rate),
      target,
      met: f.flood.rate >= THROUGHPUT_TARGET,
      notes: [
        `rounds (Ondes / raw Postgres): ${roundsOf((r) => `${r.flood.rate.toFixed(0)} / ${r.rawPostgres.rate.toFixed(0)}`)}`,
        `median round: ${f.flood.events} events; the producer committed ${perSecond(f.flood.produced)} into its outbox, ` +
          `the consumer committed ${perSecond(f.flood.keptUp)} meanwhile and the remaining ${f.flood.backlog} in ${f.flood.drainSeconds.toFixed(1)} s more`,
      ],
    },
    {
      figure: `5b. p99 latency at ${EVENTS.rate} events/s, outbox commit → consumer commit`,
      ondes: fmtMs(l.latency.p99ms),
      baseline: `${fmtMs(l.rawLatency.p99ms)} (raw ioredis XADD → XACK)`,
      ratio: `${(l.latency.p99ms / l.rawLatency.p99ms).toFixed(1)} ×`,
      target: `≤ ${LATENCY_TARGET_MS} ms`,
      met: l.latency.p99ms <= LATENCY_TARGET_MS,
      notes: [
        `median round: Ondes ${lat(l.latency)} over ${l.latency.count} events (from outbox occurred_at, the producer transaction's start: ${lat(l.latency.fromOccurred)}); ` +
          `raw streams ${lat(l.rawLatency)}; producer transactions in flight at most ${l.latency.maxInFlight}`,
        `rounds (Ondes p99 / raw p99): ${roundsOf((r) => `${fmtMs(r.latency.p99ms)} / ${fmtMs(r.rawLatency.p99ms)}`)}`,
      ],
    },
  ]
  return { rows, load: rounds.map((r) => r.load) }
}

if (import.meta.main) {
  const { rows, load } = await events()
  console.log(`\n${table(rows)}\n`)
  for (const row of rows) for (const note of row.notes) console.log(`- ${row.figure}: ${note}`)
  console.log(
    [
      '',
      `${navigator.hardwareConcurrency} cores; Bun ${Bun.version}; ${SETTINGS.rounds} round(s), each on fresh databases, processes and streams; ` +
        `the round with the median Ondes figure is shown; DB pool ${SETTINGS.poolMax} per process.`,
      'Producer, consumer, Postgres, Redis and the baselines share the same cores; the baselines run alone, each in its own processes.',
      `1-minute load average after each measurement, per round: ${load.map((l) => l.map((x) => x.toFixed(2)).join(' ')).join(' | ')}`,
      `Child process logs: ${LOG_DIR}`,
    ].join('\n'),
  )
}
