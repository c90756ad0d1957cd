/**
 * A singleton job across two real processes on one database: exactly one runs it; when the
 * holder is killed with SIGKILL (no clean-up of its own), the other takes over within a bound
 * set by the standby retry interval, and no two runs ever overlap.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres, { type Sql } from 'postgres'
import { waitFor } from '../events/test-probe.ts'
import { createDatabaseFromTemplate } from '../testing/databases.ts'
import { freePort, startApp, type AppProcess } from '../testing/processes.ts'
import { JOB_PROBE, jobProbe } from './job-probe/index.ts'
import { STANDBY_RETRY_MS } from './scheduled-job.ts'

const ENTRY = 'src/platform/jobs/job-probe/main.ts'
/** The takeover bound asserted (5 s): the standby retry interval (1 s) plus ample slack for a loaded machine. */
const TAKEOVER_BOUND_MS = STANDBY_RETRY_MS + 4000
const cleanups: (() => Promise<unknown> | unknown)[] = []
let sql: Sql
let url: string
let apps: AppProcess[] = []

type Run = { pid: number; started: Date; finished: Date | null }
const runs = () => sql<Run[]>`select pid, started_at as started, finished_at as finished from job_runs order by started_at`

beforeAll(async () => {
  const probe = jobProbe({ everyMs: 0, runMs: 0 })
  const database = await createDatabaseFromTemplate(probe.name, probe.migrations)
  cleanups.push(database.drop)
  url = database.url
  sql = postgres(url, { max: 2, onnotice: () => {} })
  cleanups.push(() => sql.end())
  apps = [0, 1].map(() => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ondes-jobs-'))
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
    const app = startApp(
      {
        HOST: '127.0.0.1',
        PORT: String(freePort()),
        DATA_DIR: dataDir,
        JOB_PROBE_DATABASE_URL: url,
        JOB_PROBE_EVERY_MS: '50',
        JOB_PROBE_RUN_MS: '100',
        LOG_LEVEL: 'info',
      },
      ENTRY,
    )
    cleanups.push(async () => {
      app.child.kill('SIGKILL')
      await app.exited
    })
    return app
  })
  await Promise.all(apps.map((app) => app.waitUntilReady()))
}, 60_000)

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
}, 30_000)

const readyz = async (app: AppProcess) => ((await (await fetch(`${app.baseUrl}/readyz`)).json()) as { checks: Record<string, string> }).checks
const check = `job_${JOB_PROBE}_record-run`

/** Every run started after the one before it finished (a run cut short by a kill has no end: the next starts after the kill). */
function expectNoOverlap(all: Run[], killedAt?: Date): void {
  for (let i = 1; i < all.length; i++) {
    const previous = all[i - 1]!
    const end = previous.finished ?? killedAt
    expect(end).toBeDefined()
    expect(all[i]!.started.getTime()).toBeGreaterThanOrEqual(end!.getTime())
  }
}

test(
  'two processes: one runs the singleton job; kill -9 the holder and the other takes over within the bound, never overlapping',
  async () => {
    await waitFor('ten runs', async () => (await runs()).length >= 10, 15_000)
    const before = await runs()
    const pids = new Set(before.map((run) => run.pid))
    expect(pids.size).toBe(1)
    const holderPid = [...pids][0]!
    const holder = apps.find((app) => app.child.pid === holderPid)!
    const standby = apps.find((app) => app.child.pid !== holderPid)!
    expect(holder).toBeDefined()
    expect((await readyz(holder))[check]).toBe('ok')
    expect((await readyz(standby))[check]).toBe('standby')
    expectNoOverlap(before)

    holder.child.kill('SIGKILL')
    const killedAt = (await sql<{ now: Date }[]>`select clock_timestamp() as now`)[0]!.now
    await holder.exited
    await waitFor('the standby to run the job', async () => (await runs()).some((run) => run.pid === standby.child.pid), TAKEOVER_BOUND_MS + 2000)
    const after = await runs()
    const takeover = after.find((run) => run.pid === standby.child.pid)!
    expect(takeover.started.getTime() - killedAt.getTime()).toBeLessThan(TAKEOVER_BOUND_MS)
    await waitFor('five runs of the new holder', async () => (await runs()).filter((run) => run.pid === standby.child.pid).length >= 5, 10_000)
    const all = await runs()
    expect(new Set(all.map((run) => run.pid))).toEqual(new Set([holderPid, standby.child.pid]))
    // The killed holder's runs all come before the new holder's.
    const firstOfNew = all.findIndex((run) => run.pid === standby.child.pid)
    expect(all.slice(firstOfNew).every((run) => run.pid === standby.child.pid)).toBe(true)
    expectNoOverlap(all, killedAt)
    expect((await readyz(standby))[check]).toBe('ok')
    const metrics = await (await fetch(`${standby.baseUrl}/metrics`)).text()
    expect(metrics).toContain(`job_singleton_lock_held{module="${JOB_PROBE}",job="record-run"} 1`)
    expect(metrics).toMatch(new RegExp(`job_run_duration_seconds_count\\{module="${JOB_PROBE}",job="record-run"\\} [1-9]`))
  },
  60_000,
)
