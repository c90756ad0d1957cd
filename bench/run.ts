/**
 * All four figures, each beside its baseline measured in this run, as one Markdown table.
 *
 *   bun bench/run.ts                    # every figure
 *   bun bench/run.ts users login        # some: users, middleware, login, startup, streams-directory,
 *                                       # heartbeats, ingest, redemptions, points-accrual, analytics, chat
 *
 * See bench/README.md for what each compares and the knobs (BENCH_DURATION, BENCH_ROUNDS…).
 */
import { analyticsFigures } from './analytics-ingest.ts'
import { chatRoom } from './chat-room.ts'
import { startOndesApp, type OndesApp } from './fixture.ts'
import { heartbeats } from './heartbeats.ts'
import { ingest } from './ingest.ts'
import { describeRun, log, report, table, type Row } from './lib.ts'
import { login } from './login.ts'
import { middleware } from './middleware.ts'
import { pointsAccrual } from './points-accrual.ts'
import { redemptions } from './redemptions.ts'
import { startup } from './startup.ts'
import { streamsDirectory } from './streams-directory.ts'
import { startStreamsApp } from './streams-fixture.ts'
import { userById } from './user-by-id.ts'

const ALL = ['users', 'middleware', 'login', 'startup', 'streams-directory', 'heartbeats', 'ingest', 'redemptions', 'points-accrual', 'analytics', 'chat'] as const
const STREAMS: readonly Figure[] = ['streams-directory', 'heartbeats', 'ingest']
type Figure = (typeof ALL)[number]
const wanted = process.argv.slice(2)
const unknown = wanted.filter((w) => !(ALL as readonly string[]).includes(w))
if (unknown.length) {
  console.error(`unknown figure(s): ${unknown.join(', ')}; choose from ${ALL.join(', ')}`)
  process.exit(2)
}
const figures: Figure[] = wanted.length ? (wanted as Figure[]) : [...ALL]

const rows: Row[] = []
let app: OndesApp | undefined
try {
  if (figures.some((f) => f === 'users' || f === 'middleware' || f === 'login')) app = await startOndesApp()
  for (const figure of figures) {
    if (figure === 'users') rows.push(await userById(app!))
    if (figure === 'middleware') rows.push(...(await middleware(app!)))
    if (figure === 'login') rows.push(await login(app!))
  }
} finally {
  await app?.stop()
}
// Each group on an app of its own, started when the one before is gone.
if (figures.some((f) => STREAMS.includes(f))) {
  const streams = await startStreamsApp()
  try {
    if (figures.includes('streams-directory')) rows.push(await streamsDirectory(streams))
    if (figures.includes('heartbeats')) rows.push(await heartbeats(streams))
    if (figures.includes('ingest')) rows.push(...(await ingest(streams)))
  } finally {
    await streams.stop()
  }
}
if (figures.includes('redemptions')) {
  const points = await startOndesApp({ users: false })
  try {
    rows.push(await redemptions(points))
  } finally {
    await points.stop()
  }
}
if (figures.includes('points-accrual')) rows.push(await pointsAccrual())
// In-process, on scratch databases of its own: no app.
if (figures.includes('analytics')) rows.push(...(await analyticsFigures()))
// Chat's four figures on an app and redis-server of their own (bench/chat-room.ts).
if (figures.includes('chat')) rows.push(...(await chatRoom()))
// Last and on its own: no other server is running while start-up is timed.
if (figures.includes('startup')) rows.push(await startup())

report(rows)
log('done')
void table
void describeRun
