/**
 * Channel points accrual: viewer-minutes credited per second from batched
 * `streams.viewer_minutes.v1` events, end to end through the subscriptions module's inbox
 * (servers/points-accrual.ts, in its own process, on a scratch database cloned from the
 * module's migrated template). Afterwards the watch minutes and the points must match what was
 * delivered: every viewer-minute counted once, 10 points per 5 minutes.
 */
import postgres from 'postgres'
import { POINTS_PER_FIVE_MINUTES } from '../src/modules/subscriptions/earning.ts'
import { subscriptions } from '../src/modules/subscriptions/index.ts'
import { createDatabaseFromTemplate } from '../src/platform/testing/databases.ts'
import { cleanEnv, finished, log, report, SETTINGS, spawnBun, type Row } from './lib.ts'

export const TARGET = 20_000
export const ACCRUAL = {
  /** Events per delivery (the transport reads up to 200 at once). */
  batch: Number(process.env.BENCH_ACCRUAL_BATCH ?? 100),
  workers: Number(process.env.BENCH_ACCRUAL_WORKERS ?? 1),
  channels: Number(process.env.BENCH_ACCRUAL_CHANNELS ?? 100),
  /** Signed-in viewers per channel: user ids per event (the producer chunks at 1 000). */
  viewers: Number(process.env.BENCH_ACCRUAL_VIEWERS ?? 100),
}

type Result = { viewerMinutes: number; events: number; seconds: number; rate: number; delivered: number }

export async function pointsAccrual(): Promise<Row> {
  const database = await createDatabaseFromTemplate('subscriptions', subscriptions.migrations)
  try {
    log(
      `points accrual: ${ACCRUAL.channels} channels × ${ACCRUAL.viewers} viewers, ${ACCRUAL.batch} events per delivery, ` +
        `${ACCRUAL.workers} in flight, ${SETTINGS.warmup} s warm-up + ${SETTINGS.duration} s`,
    )
    const child = spawnBun(
      'points-accrual',
      ['bench/servers/points-accrual.ts'],
      cleanEnv({
        DATABASE_URL: database.url,
        DB_POOL_MAX: String(SETTINGS.poolMax),
        BENCH_SECONDS: String(SETTINGS.duration),
        BENCH_WARMUP: String(SETTINGS.warmup),
        BENCH_BATCH: String(ACCRUAL.batch),
        BENCH_WORKERS: String(ACCRUAL.workers),
        BENCH_CHANNELS: String(ACCRUAL.channels),
        BENCH_VIEWERS: String(ACCRUAL.viewers),
      }),
    )
    const result = await finished<Result>(child, (SETTINGS.duration + SETTINGS.warmup + 120) * 1000)
    const sql = postgres(database.url, { max: 1, onnotice: () => {} })
    try {
      const [books] = await sql<{ minutes: number; points: number; expected: number }[]>`
        select (select coalesce(sum(minutes), 0)::int from watch_minutes) as minutes,
               (select coalesce(sum(balance), 0)::int from channel_points) as points,
               (select coalesce(sum(minutes / 5), 0)::int * ${POINTS_PER_FIVE_MINUTES} from watch_minutes) as expected`
      if (books!.minutes !== result.delivered || books!.points !== books!.expected) {
        throw new Error(`the books disagree: ${result.delivered} viewer-minutes delivered, ${JSON.stringify(books)}`)
      }
      log(`points accrual: ${result.rate.toFixed(0)} viewer-minutes/s (${result.events} events in ${result.seconds.toFixed(1)} s)`)
      return {
        figure: '11. viewer-minutes credited per second, batched events through the subscriptions inbox',
        ondes: `${result.rate.toFixed(0)} viewer-minutes/s`,
        baseline: '—',
        ratio: '',
        target: `≥ ${TARGET.toLocaleString('en')}/s`,
        met: result.rate >= TARGET,
        notes: [
          `${result.events} events of ${ACCRUAL.viewers} viewers in ${result.seconds.toFixed(1)} s; ${books!.minutes} viewer-minutes and ${books!.points} points in the books, as delivered`,
        ],
      }
    } finally {
      await sql.end()
    }
  } finally {
    await database.drop()
  }
}

if (import.meta.main) report([await pointsAccrual()])
