/**
 * All four figures, each beside its baseline measured in this run, as one Markdown table.
 *
 *   bun bench/run.ts                    # every figure
 *   bun bench/run.ts users login        # some: users, middleware, login, startup
 *
 * See bench/README.md for what each compares and the knobs (BENCH_DURATION, BENCH_ROUNDS…).
 */
import { startOndesApp, type OndesApp } from './fixture.ts'
import { describeRun, log, report, table, type Row } from './lib.ts'
import { login } from './login.ts'
import { middleware } from './middleware.ts'
import { startup } from './startup.ts'
import { userById } from './user-by-id.ts'

const ALL = ['users', 'middleware', 'login', 'startup'] as const
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
  if (figures.some((f) => f !== 'startup')) app = await startOndesApp()
  for (const figure of figures) {
    if (figure === 'users') rows.push(await userById(app!))
    if (figure === 'middleware') rows.push(...(await middleware(app!)))
    if (figure === 'login') rows.push(await login(app!))
  }
} finally {
  await app?.stop()
}
// Last and on its own: no other server is running while start-up is timed.
if (figures.includes('startup')) rows.push(await startup())

report(rows)
log('done')
void table
void describeRun
