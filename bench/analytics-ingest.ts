/**
 * Figure "analytics" (issue 13, Speed), on this machine's Postgres, in one process:
 *
 * (a) Ingest: BENCH_ANALYTICS_EVENTS (50 000) events of every kind analytics counts (viewer
 *     minutes of 20 viewers, chat minutes of 10 chatters, follows, redemptions, donations) through
 *     the real inbox (contract check, inbox insert, each fact claimed once, handleMany upserts),
 *     in deliveries of BENCH_ANALYTICS_BATCH (200, the Redis transport's read size) events of each
 *     of the five types — XREADGROUP's COUNT is per stream, so a read behind a backlog hands the
 *     consumer that many of each — two at a time (two replicas' read loops); beside it a raw postgres.js baseline doing the channels' minutes and users' days
 *     upserts in the same batches, without inbox or fact keys, and one writing every bucket table
 *     the module keeps. Statements per delivery and CPU per 1 000 events (Postgres backends and
 *     this process) in the notes. Target ≥ 20 000 events/s.
 * (b) Reads: a 30-day channel summary (GET /api/analytics/channels/{id}'s query on the daily
 *     rollup) over BENCH_ANALYTICS_MINUTE_ROWS (1 000 000) minute rows, p99 of
 *     BENCH_ANALYTICS_QUERIES (2 000) queries; then again while the rollups are refreshed
 *     CONCURRENTLY in a loop. Targets: p99 ≤ 20 ms, and ≤ 2× that under refresh.
 *
 *   bun bench/analytics-ingest.ts          # both parts
 *   bun bench/analytics-ingest.ts ingest   # (a) alone
 */
import pino from 'pino'
import { Registry } from 'prom-client'
import postgres from 'postgres'
import { analytics } from '../src/modules/analytics/index.ts'
import { createRollups } from '../src/modules/analytics/rollups.ts'
import { createModuleDatabase, type ModuleDatabase } from '../src/platform/db/database.ts'
import { createInbox } from '../src/platform/events/inbox.ts'
import { createEventMetrics } from '../src/platform/events/metrics.ts'
import type { EventEnvelope } from '../src/platform/events/types.ts'
import { createMetrics } from '../src/platform/metrics.ts'
import { createDatabaseFromTemplate } from '../src/platform/testing/databases.ts'
import { cpuSeconds, fmtMs, log, pct, report, type Row } from './lib.ts'

const EVENTS = Number(process.env.BENCH_ANALYTICS_EVENTS ?? 50_000)
const MINUTE_ROWS = Number(process.env.BENCH_ANALYTICS_MINUTE_ROWS ?? 1_000_000)
const QUERIES = Number(process.env.BENCH_ANALYTICS_QUERIES ?? 2_000)
const BATCH = Number(process.env.BENCH_ANALYTICS_BATCH ?? 200)
const PARALLEL = 2
/** The mix's event types, one stream each: a delivery holds up to BATCH of every one. */
const TYPES = 5
const CHANNELS = 100
const MINUTE = 60_000
const START = Date.UTC(2026, 10, 1)

const iso = (ms: number) => new Date(ms).toISOString()

/** The i-th event of the mix, its time spread over channels and minutes. */
function eventOf(i: number): EventEnvelope {
  const channel = String(1_000 + (i % CHANNELS))
  const minute = START + Math.floor(i / CHANNELS) * MINUTE
  const user = (k: number) => String(100_000 + ((i * 7 + k) % 5_000))
  const envelope = (type: string, payload: unknown) => ({ id: crypto.randomUUID(), type, occurredAt: iso(minute), payload })
  switch (i % TYPES) {
    case 0:
      return envelope('streams.viewer_minutes.v1', {
        stream_id: channel, broadcaster_id: channel, minute: iso(minute), user_ids: Array.from({ length: 20 }, (_, k) => user(k)), anonymous_viewers: 3, chunk: 1, chunks: 1,
      })
    case 1:
      return envelope('chat.activity.v1', { broadcaster_id: channel, minute: iso(minute), chatters: Array.from({ length: 10 }, (_, k) => ({ user_id: user(k), messages: 2 })), chunk: 1, chunks: 1 })
    case 2:
      return envelope('users.followed.v1', { follower_id: user(0), followed_id: channel, followed_at: iso(minute + 1000), version: i })
    case 3:
      return envelope('subscriptions.redemption_added.v1', {
        id: crypto.randomUUID(), broadcaster_id: channel, user_id: user(1), user_input: '', status: 'UNFULFILLED', redeemed_at: iso(minute + 2000),
        reward: { id: crypto.randomUUID(), title: 'Hydrate', prompt: '', cost: 100 },
      })
    default:
      return envelope('subscriptions.donation_received.v1', { donation_id: `d${i}`, broadcaster_id: channel, user_id: null, message: '', amount: 500, currency: 'EUR', occurred_at: iso(minute + 3000) })
  }
}

/**
 * Deliveries of BATCH events of each type (the mix takes its types in turn), grouped by type
 * within each as the Redis transport hands them over (one stream per type, read together).
 */
const batchesOf = (events: EventEnvelope[], size = BATCH * TYPES) =>
  Array.from({ length: Math.ceil(events.length / size) }, (_, b) => events.slice(b * size, (b + 1) * size).sort((x, y) => (x.type < y.type ? -1 : x.type > y.type ? 1 : 0)))

/** Runs `work` on each batch, PARALLEL at a time; resolves to the seconds it took. */
async function timed(batches: EventEnvelope[][], work: (batch: EventEnvelope[]) => Promise<unknown>): Promise<number> {
  const queue = [...batches]
  const started = performance.now()
  await Promise.all(Array.from({ length: PARALLEL }, async () => {
    for (let batch = queue.shift(); batch; batch = queue.shift()) await work(batch)
  }))
  return (performance.now() - started) / 1000
}

/** Adds to the row of `key` in `rows`, made by `init` when it is the first. */
function tally<R>(rows: Map<string, R>, key: string, init: () => R, add: (row: R) => void): void {
  const row = rows.get(key) ?? init()
  add(row)
  rows.set(key, row)
}
const sortedRows = <R>(rows: Map<string, R>) => [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, r]) => r)

/**
 * The baseline: bucket upserts in raw postgres.js, per batch, without inbox, contracts or fact
 * keys: the channels' minutes and the users' days (A1's baseline since the figure began), or with
 * `every` all the buckets the module keeps — the streams' viewers, the chatters' minutes, the
 * revenue and the running totals too — those four sent together (pipelined) as the module does.
 */
function rawUpserts(sql: postgres.Sql, every = false) {
  return (batch: EventEnvelope[]) =>
    sql.begin(async (tx) => {
      type MinuteRow = { b: string; minute: string; viewers: number; anonymous: number; chatters: number; messages: number; follows: number; redemptions: number; donations: number }
      type PersonRow = { user: string; b: string; day: string; watch: number; chat: number }
      const minutes = new Map<string, MinuteRow>()
      const people = new Map<string, PersonRow>()
      const watchers = new Map<string, { stream: string; user: string; minutes: number }>()
      const chatters = new Map<string, { b: string; minute: string; user: string; messages: number }>()
      const money = new Map<string, { b: string; minute: string; currency: string; amount: number; payments: number }>()
      const totals = new Map<string, { name: string; value: number }>()
      const total = (name: string, value: number) => tally(totals, name, () => ({ name, value: 0 }), (t) => void (t.value += value))
      for (const { type, payload } of batch) {
        const p = payload as {
          broadcaster_id?: string; followed_id?: string; minute?: string; followed_at?: string; redeemed_at?: string; occurred_at?: string
          user_ids?: string[]; anonymous_viewers?: number; chatters?: { user_id: string; messages: number }[]; stream_id?: string; amount?: number; currency?: string
        }
        const b = (p.broadcaster_id ?? p.followed_id)!
        const minute = iso(Math.floor(Date.parse((p.minute ?? p.followed_at ?? p.redeemed_at ?? p.occurred_at)!) / MINUTE) * MINUTE)
        const row = minutes.get(`${b} ${minute}`) ?? { b, minute, viewers: 0, anonymous: 0, chatters: 0, messages: 0, follows: 0, redemptions: 0, donations: 0 }
        const person = (user: string, watch: number, chat: number) => {
          const key = `${user} ${minute.slice(0, 10)} ${b}`
          const r = people.get(key) ?? { user, b, day: minute.slice(0, 10), watch: 0, chat: 0 }
          r.watch += watch
          r.chat += chat
          people.set(key, r)
        }
        if (type === 'streams.viewer_minutes.v1') {
          row.viewers += p.user_ids!.length
          row.anonymous += p.anonymous_viewers!
          for (const u of p.user_ids!) person(u, 1, 0)
          for (const user of p.user_ids!) tally(watchers, `${p.stream_id} ${user}`, () => ({ stream: p.stream_id!, user, minutes: 0 }), (w) => void (w.minutes += 1))
        }
        if (type === 'chat.activity.v1') {
          row.chatters += p.chatters!.length
          row.messages += p.chatters!.reduce((a, c) => a + c.messages, 0)
          for (const c of p.chatters!) person(c.user_id, 0, c.messages)
          for (const c of p.chatters!) {
            tally(chatters, `${b} ${minute} ${c.user_id}`, () => ({ b, minute, user: c.user_id, messages: 0 }), (r) => void (r.messages += c.messages))
          }
          total('chat_messages', p.chatters!.reduce((a, c) => a + c.messages, 0))
        }
        if (type === 'users.followed.v1') {
          row.follows += 1
          total('follows', 1)
        }
        if (type === 'subscriptions.redemption_added.v1') {
          row.redemptions += 1
          total('redemptions', 1)
        }
        if (type === 'subscriptions.donation_received.v1') {
          row.donations += 1
          const init = () => ({ b, minute, currency: p.currency!, amount: 0, payments: 0 })
          tally(money, `${b} ${minute} ${p.currency}`, init, (r) => {
            r.amount += p.amount!
            r.payments += 1
          })
          total(`revenue:${p.currency}`, p.amount!)
        }
        minutes.set(`${b} ${minute}`, row)
      }
      const m = [...minutes.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, r]) => r)
      const ints = (f: (r: MinuteRow) => number) => m.map(f)
      await tx`
        insert into channel_minutes (broadcaster_id, minute, viewers, anonymous_viewers, chatters, messages, follows, redemptions, donations)
        select * from unnest(${m.map((r) => r.b)}::bigint[], ${m.map((r) => r.minute)}::timestamptz[], ${ints((r) => r.viewers)}::int[], ${ints((r) => r.anonymous)}::int[],
          ${ints((r) => r.chatters)}::int[], ${ints((r) => r.messages)}::int[], ${ints((r) => r.follows)}::int[], ${ints((r) => r.redemptions)}::int[], ${ints((r) => r.donations)}::int[])
        on conflict (broadcaster_id, minute) do update set viewers = channel_minutes.viewers + excluded.viewers,
          anonymous_viewers = channel_minutes.anonymous_viewers + excluded.anonymous_viewers, chatters = channel_minutes.chatters + excluded.chatters,
          messages = channel_minutes.messages + excluded.messages, follows = channel_minutes.follows + excluded.follows,
          redemptions = channel_minutes.redemptions + excluded.redemptions, donations = channel_minutes.donations + excluded.donations`
      const u = [...people.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, r]) => r)
      await tx`
        insert into user_analytics (user_id, broadcaster_id, day, watch_minutes, chat_messages)
        select * from unnest(${u.map((r) => r.user)}::bigint[], ${u.map((r) => r.b)}::bigint[], ${u.map((r) => r.day)}::date[], ${u.map((r) => r.watch)}::int[], ${u.map((r) => r.chat)}::int[])
        on conflict (user_id, day, broadcaster_id) do update set watch_minutes = user_analytics.watch_minutes + excluded.watch_minutes,
          chat_messages = user_analytics.chat_messages + excluded.chat_messages`
      if (!every) return
      const w = sortedRows(watchers)
      const c = sortedRows(chatters)
      const r = sortedRows(money)
      const t = sortedRows(totals)
      await Promise.all([
        tx`
          insert into stream_viewers (stream_id, user_id, minutes)
          select * from unnest(${w.map((x) => x.stream)}::bigint[], ${w.map((x) => x.user)}::bigint[], ${w.map((x) => x.minutes)}::int[])
          on conflict (stream_id, user_id) do update set minutes = stream_viewers.minutes + excluded.minutes`,
        tx`
          insert into chatter_minutes (broadcaster_id, minute, user_id, messages)
          select * from unnest(${c.map((x) => x.b)}::bigint[], ${c.map((x) => x.minute)}::timestamptz[], ${c.map((x) => x.user)}::bigint[], ${c.map((x) => x.messages)}::int[])
          on conflict (broadcaster_id, minute, user_id) do update set messages = chatter_minutes.messages + excluded.messages`,
        tx`
          insert into revenue_analytics (broadcaster_id, minute, source, tier, currency, amount, payments)
          select b, m, 'donation', '', cur, a, n from unnest(${r.map((x) => x.b)}::bigint[], ${r.map((x) => x.minute)}::timestamptz[], ${r.map((x) => x.currency)}::text[],
            ${r.map((x) => x.amount)}::bigint[], ${r.map((x) => x.payments)}::int[]) as t(b, m, cur, a, n)
          on conflict (broadcaster_id, minute, source, tier, currency)
          do update set amount = revenue_analytics.amount + excluded.amount, payments = revenue_analytics.payments + excluded.payments`,
        tx`
          insert into analytics_totals (name, value) select * from unnest(${t.map((x) => x.name)}::text[], ${t.map((x) => x.value)}::bigint[])
          on conflict (name) do update set value = analytics_totals.value + excluded.value`,
      ])
    })
}

/**
 * `database` with every statement its transactions send counted in `count.statements` (BEGIN and
 * COMMIT left out), for the statements per delivery the figure's notes give.
 */
function counted(database: ModuleDatabase) {
  const count = { statements: 0 }
  const tally = <S extends object>(sql: S): S =>
    new Proxy(sql, {
      apply(target, thisArg, args: unknown[]) {
        const result = Reflect.apply(target as (...a: unknown[]) => unknown, thisArg, args)
        // sql`…` sends a statement; sql(rows), sql.json(…) build fragments.
        if (Array.isArray(args[0]) && 'raw' in args[0]) count.statements++
        return result
      },
    })
  const transaction: ModuleDatabase['transaction'] = (work) => database.transaction((tx) => work(Object.assign(tx, { sql: tally(tx.sql) })))
  return { database: { ...database, transaction }, count }
}

/**
 * A meter of the CPU that `sql`'s database's backends (opened by the warm-up) and this process
 * use: Postgres does most of the work, and CPU per event is what neighbours on the shared cores
 * skew least. `read` gives milliseconds per 1 000 events since `start`.
 */
async function cpuMeter(sql: postgres.Sql | ModuleDatabase['sql']) {
  const pids = (await sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = current_database()`).map((r) => r.pid)
  const now = () => ({ postgres: pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0), process: process.cpuUsage() })
  let from = now()
  return {
    start: () => void (from = now()),
    read: (events: number) => {
      const to = now()
      const per = (seconds: number) => ((seconds * 1000 * 1000) / events).toFixed(0)
      return `Postgres ${per(to.postgres - from.postgres)} ms, bench process ${per((to.process.user + to.process.system - from.process.user - from.process.system) / 1e6)} ms CPU per 1 000 events`
    },
  }
}

async function ingest(): Promise<Row> {
  // One database each: ours, the baseline's, the every-bucket baseline's.
  const [ours, theirs, every] = await Promise.all([1, 2, 3].map(() => createDatabaseFromTemplate('analytics', analytics.migrations)))
  const database = createModuleDatabase({ module: 'analytics', url: ours!.url, poolMax: PARALLEL + 1, queryDuration: createMetrics().queryDuration })
  const { database: countedDatabase, count } = counted(database)
  const raw = postgres(theirs!.url, { max: PARALLEL + 1, onnotice: () => {} })
  const rawEvery = postgres(every!.url, { max: PARALLEL + 1, onnotice: () => {} })
  try {
    const inbox = createInbox({
      module: 'analytics',
      database: countedDatabase,
      consumes: analytics.consumes!,
      metrics: createEventMetrics(new Registry(), { outboxes: async () => [], lag: async () => [] }),
      log: pino({ level: process.env.BENCH_ANALYTICS_LOG ?? 'silent' }),
    })
    const events = Array.from({ length: EVENTS }, (_, i) => eventOf(i))
    // Warm-up on other minutes (pools open, statements prepared), left out of the figures.
    const warm = batchesOf(Array.from({ length: 2_000 }, (_, i) => eventOf(EVENTS + CHANNELS * 10 + i)))
    await timed(warm, (b) => inbox.deliver(b))
    await timed(warm, rawUpserts(raw))
    await timed(warm, rawUpserts(rawEvery, true))
    const [rawCpu, everyCpu, inboxCpu] = await Promise.all([cpuMeter(raw), cpuMeter(rawEvery), cpuMeter(database.sql)])
    log(`analytics ingest: ${EVENTS} events, deliveries of ${BATCH} per type (${BATCH * TYPES}), ${PARALLEL} at a time`)
    rawCpu.start()
    const baseline = EVENTS / (await timed(batchesOf(events), rawUpserts(raw)))
    const baselineCpu = rawCpu.read(EVENTS)
    everyCpu.start()
    const everyBucket = EVENTS / (await timed(batchesOf(events), rawUpserts(rawEvery, true)))
    const everyBucketCpu = everyCpu.read(EVENTS)
    const batches = batchesOf(events)
    count.statements = 0
    inboxCpu.start()
    const inboxSeconds = await timed(batches, async (b) => {
      const outcomes = await inbox.deliver(b)
      if (outcomes.some((o) => o.status !== 'handled')) throw new Error(`not handled: ${JSON.stringify(outcomes.find((o) => o.status !== 'handled'))}`)
    })
    const rate = EVENTS / inboxSeconds
    const ondesCpu = inboxCpu.read(EVENTS)
    return {
      figure: 'A1. analytics ingest through the inbox (handleMany)',
      ondes: `${rate.toFixed(0)} events/s`,
      baseline: `${baseline.toFixed(0)} events/s (raw postgres.js batch upserts of the same buckets, no inbox)`,
      ratio: pct(rate / baseline),
      target: '≥ 20 000 events/s',
      met: rate >= 20_000,
      notes: [
        `${EVENTS} events (viewer minutes of 20, chat minutes of 10, follows, redemptions, donations), deliveries of ${BATCH} of each type (${BATCH * TYPES} events: a read of the five streams' backlog), ${PARALLEL} at a time`,
        `${(count.statements / batches.length).toFixed(1)} statements per delivery in its transaction (the inbox's included), against the baseline's 2`,
        `inbox: ${ondesCpu}; baseline: ${baselineCpu}`,
        `a raw baseline writing every bucket table the module keeps (also stream_viewers, chatter_minutes, revenue_analytics, analytics_totals; still no inbox, fact keys or late flags): ${everyBucket.toFixed(0)} events/s, ${pct(rate / everyBucket)} of it; ${everyBucketCpu}`,
      ],
    }
  } finally {
    await database.close()
    await Promise.all([raw.end(), rawEvery.end()])
    await Promise.all([ours!.drop(), theirs!.drop(), every!.drop()])
  }
}

const p99 = (samples: number[]) => [...samples].sort((a, b) => a - b)[Math.min(samples.length - 1, Math.floor(samples.length * 0.99))]!

async function reads(): Promise<Row[]> {
  const scratch = await createDatabaseFromTemplate('analytics', analytics.migrations)
  const database = createModuleDatabase({ module: 'analytics', url: scratch.url, poolMax: 4, queryDuration: createMetrics().queryDuration })
  try {
    // 30 days of minutes per channel: as many channels as make MINUTE_ROWS.
    const channels = Math.max(1, Math.round(MINUTE_ROWS / (30 * 1440)))
    log(`analytics reads: seeding ${channels * 30 * 1440} minute rows (${channels} channels × 30 days)`)
    await database.sql`
      insert into channel_minutes (broadcaster_id, minute, viewers, anonymous_viewers, chatters, messages, follows, new_subs_1000, redemptions)
      select 5000 + c, ${iso(START)}::timestamptz + make_interval(mins => m), (random() * 200)::int, (random() * 20)::int, (random() * 30)::int,
             (random() * 90)::int, (random() < 0.05)::int, (random() < 0.01)::int, (random() < 0.02)::int
      from generate_series(1, ${channels}) c, generate_series(0, 30 * 1440 - 1) m`
    await database.sql`analyze channel_minutes`
    const rollups = createRollups(database)
    await rollups.refresh()
    const summary = (i: number) => rollups.channel(String(5001 + (i % channels)), 'day', '2026-11-01', '2026-11-30')
    for (let i = 0; i < 200; i++) await summary(i)
    const sample = async () => {
      const times: number[] = []
      for (let i = 0; i < QUERIES; i++) {
        const started = performance.now()
        const days = await summary(i)
        times.push(performance.now() - started)
        if (days.length !== 30) throw new Error(`a 30-day summary had ${days.length} days`)
      }
      return times
    }
    const quiet = p99(await sample())
    let refreshing = true
    let refreshes = 0
    const loop = (async () => {
      while (refreshing) {
        await rollups.refresh()
        refreshes++
      }
    })()
    const busy = p99(await sample())
    refreshing = false
    await loop
    return [
      {
        figure: 'A2. analytics 30-day channel summary, p99',
        ondes: fmtMs(quiet),
        baseline: `${channels * 30 * 1440} minute rows`,
        ratio: '—',
        target: '≤ 20 ms',
        met: quiet <= 20,
        notes: [`${QUERIES} sequential queries of the daily rollup (materialized view) for one of ${channels} channels`],
      },
      {
        figure: 'A3. analytics 30-day summary during concurrent rollup refreshes, p99',
        ondes: fmtMs(busy),
        baseline: `${fmtMs(quiet)} without refreshes`,
        ratio: `${(busy / quiet).toFixed(2)}×`,
        target: '≤ 2×',
        met: busy <= 2 * quiet,
        notes: [`${refreshes} REFRESH MATERIALIZED VIEW CONCURRENTLY rounds (all four rollups) ran during the ${QUERIES} queries`],
      },
    ]
  } finally {
    await database.close()
    await scratch.drop()
  }
}

/** Both parts, as rows of bench/run.ts's table. */
export async function analyticsFigures(): Promise<Row[]> {
  return [await ingest(), ...(await reads())]
}

if (import.meta.main) report(process.argv.includes('ingest') ? [await ingest()] : await analyticsFigures())
