import { afterAll, afterEach, describe, expect, test } from 'bun:test'
import pino from 'pino'
import postgres from 'postgres'
import { Registry } from 'prom-client'
import { waitFor } from '../events/test-probe.ts'
import { testAdminUrl } from '../testing/databases.ts'
import { createAdvisoryLocks } from './advisory-locks.ts'
import type { Job } from './job.ts'
import { jobMetrics } from './metrics.ts'
import { createModuleJobs } from './module-jobs.ts'
import { scheduleJob, type ScheduledJob } from './scheduled-job.ts'

const log = pino({ level: 'silent' })
const url = testAdminUrl()
// Lock keys are per module and job: a module name of this file's own keeps parallel runs apart.
const module = () => `jobs-test-${crypto.randomUUID().slice(0, 8)}`
const admin = postgres(url, { max: 1, onnotice: () => {} })
const stops: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop()
})
afterAll(() => admin.end())

/** One label set's value of a metric in the registry's exposition, or undefined when absent. */
async function sample(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`)
  const line = (await registry.metrics())
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)))
  return line === undefined ? undefined : Number(line.split(' ').pop())
}

function schedule(name: string, job: Job, options: Partial<Parameters<typeof scheduleJob>[2]> = {}) {
  const registry = new Registry()
  const scheduled = scheduleJob(name, job, { log, metrics: jobMetrics(registry), ...options })
  stops.push(scheduled.stop)
  return { scheduled, registry }
}

describe('a job on an interval', () => {
  test('runs at start, then every everyMs after each run ends, never two runs at once, and not after stop', async () => {
    const runs: { start: number; end: number }[] = []
    let active = 0
    let overlapped = false
    const { scheduled, registry } = schedule('probe', {
      name: 'tick',
      everyMs: 40,
      run: async () => {
        if (active++ > 0) overlapped = true
        const start = Date.now()
        await Bun.sleep(20)
        runs.push({ start, end: Date.now() })
        active--
      },
    })
    const started = Date.now()
    scheduled.start()
    await waitFor('five runs', async () => runs.length >= 5)
    await scheduled.stop()
    const count = runs.length
    expect(runs[0]!.start - started).toBeLessThan(15)
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.start - runs[i - 1]!.end).toBeGreaterThanOrEqual(39)
    expect(overlapped).toBe(false)
    expect(scheduled.state()).toBe('stopped')
    await Bun.sleep(120)
    expect(runs.length).toBe(count)
    const labels = { module: 'probe', job: 'tick' }
    expect(await sample(registry, 'job_run_duration_seconds_count', labels)).toBe(count)
    expect(await sample(registry, 'job_failures_total', labels)).toBe(0)
    expect((await sample(registry, 'job_last_success_timestamp_seconds', labels))! * 1000).toBeGreaterThanOrEqual(runs.at(-1)!.end - 1)
  })

  test('wake runs it at once, and once more after a run it interrupted', async () => {
    let runs = 0
    let release: (() => void) | undefined
    const { scheduled } = schedule('probe', {
      name: 'woken',
      everyMs: 60_000,
      run: async () => {
        runs++
        if (runs === 2) await new Promise<void>((resolve) => (release = resolve))
      },
    })
    scheduled.start()
    await waitFor('the first run', async () => runs === 1)
    scheduled.wake()
    await waitFor('the woken run', async () => runs === 2 && release !== undefined, 1000)
    scheduled.wake()
    release!()
    await waitFor('the run after it', async () => runs === 3, 1000)
    await Bun.sleep(50)
    expect(runs).toBe(3)
  })

  test('stop aborts the run signal and waits for the run, but no longer than the stop timeout', async () => {
    let sawAbort = false
    let finished = false
    const { scheduled } = schedule('probe', {
      name: 'slow',
      everyMs: 1000,
      run: async ({ signal }) => {
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()))
        sawAbort = true
        await Bun.sleep(50)
        finished = true
      },
    })
    scheduled.start()
    await Bun.sleep(20)
    await scheduled.stop()
    expect(sawAbort).toBe(true)
    expect(finished).toBe(true)

    const { scheduled: stuck } = schedule('probe', { name: 'stuck', everyMs: 1000, run: () => Bun.sleep(5000) }, { stopTimeoutMs: 100 })
    stuck.start()
    await Bun.sleep(20)
    const stopping = performance.now()
    await stuck.stop()
    expect(performance.now() - stopping).toBeLessThan(1000)
    expect(stuck.state()).toBe('stopped')
  })
})

describe('failures', () => {
  test('are counted, say failing after failingAfter in a row, back off with retryMs, and clear on success', async () => {
    let runs = 0
    let healthy = false
    const { scheduled, registry } = schedule('probe', {
      name: 'flaky',
      everyMs: 60_000,
      failingAfter: 3,
      retryMs: () => 30,
      run: async () => {
        runs++
        if (!healthy) throw new Error(`attempt ${runs} failed`)
      },
    })
    const labels = { module: 'probe', job: 'flaky' }
    scheduled.start()
    await waitFor('two failures', async () => runs === 2)
    expect(scheduled.state()).toBe('ok')
    await waitFor('a third failure', async () => runs >= 3 && scheduled.state() !== 'ok')
    expect(scheduled.state()).toMatch(/^failing: attempt \d+ failed$/)
    expect(await sample(registry, 'job_failures_total', labels)).toBeGreaterThanOrEqual(3)
    expect(await sample(registry, 'job_last_success_timestamp_seconds', labels)).toBeUndefined()
    healthy = true
    await waitFor('a success', async () => scheduled.state() === 'ok', 1000)
    const failures = await sample(registry, 'job_failures_total', labels)
    expect(await sample(registry, 'job_last_success_timestamp_seconds', labels)).toBeGreaterThan(0)
    // Back on its minute schedule.
    await Bun.sleep(100)
    expect(await sample(registry, 'job_failures_total', labels)).toBe(failures!)
  })
})

describe('a cron job', () => {
  test('runs at the times of its expression (every second here)', async () => {
    const at: number[] = []
    const { scheduled } = schedule('probe', { name: 'each-second', cron: '* * * * * *', run: async () => void at.push(Date.now()) })
    scheduled.start()
    await waitFor('two runs', async () => at.length >= 2, 3000)
    expect(at[1]! - at[0]!).toBeGreaterThan(900)
    for (const time of at) expect(time % 1000).toBeLessThan(100)
  })

  test('an invalid expression or name fails at once', () => {
    expect(() => scheduleJob('probe', { name: 'bad', cron: 'every day', run: async () => {} }, { log, metrics: jobMetrics(new Registry()) })).toThrow(
      /invalid cron expression/,
    )
    expect(() => scheduleJob('probe', { name: 'Bad Name', everyMs: 5, run: async () => {} }, { log, metrics: jobMetrics(new Registry()) })).toThrow(
      /lowercase words and dashes/,
    )
  })
})

describe('a singleton job', () => {
  /** Replicas of one singleton job, each with its own lock connection; records who ran when. */
  function replicas(name: string, count = 2) {
    const runs: { replica: number; start: number; end: number }[] = []
    const jobs: ScheduledJob[] = []
    for (let replica = 0; replica < count; replica++) {
      const locks = createAdvisoryLocks(url, `${name}-r${replica}`)
      const job = scheduleJob(
        name,
        {
          name: 'leader',
          singleton: true,
          everyMs: 20,
          run: async () => {
            const start = Date.now()
            await Bun.sleep(10)
            runs.push({ replica, start, end: Date.now() })
          },
        },
        { log, metrics: jobMetrics(new Registry()), locks, standbyRetryMs: 100 },
      )
      stops.push(async () => {
        await job.stop()
        await locks.close()
      })
      jobs.push(job)
    }
    return { runs, jobs }
  }
  const runners = (runs: { replica: number }[]) => new Set(runs.map((run) => run.replica))

  test('runs on one replica only; the other stands by and takes over when the holder stops', async () => {
    const { runs, jobs } = replicas(module())
    for (const job of jobs) job.start()
    await waitFor('ten runs', async () => runs.length >= 10)
    expect(runners(runs).size).toBe(1)
    const holder = [...runners(runs)][0]!
    expect(jobs[holder]!.state()).toBe('ok')
    expect(jobs[1 - holder]!.state()).toBe('standby')
    await jobs[holder]!.stop()
    const handedOver = runs.length
    await waitFor('the other replica to run', async () => runs.slice(handedOver).some((run) => run.replica !== holder), 2000)
    expect(jobs[1 - holder]!.state()).toBe('ok')
  })

  test('a holder whose lock connection is killed aborts its run and runs again only once it holds the lock anew', async () => {
    const name = module()
    const application = `${name}-alone`
    const locks = createAdvisoryLocks(url, application)
    const aborted: unknown[] = []
    let runs = 0
    const job = scheduleJob(
      name,
      {
        name: 'leader',
        singleton: true,
        everyMs: 20,
        run: async ({ signal }) => {
          runs++
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()))
          aborted.push(signal.reason)
        },
      },
      { log, metrics: jobMetrics(new Registry()), locks, standbyRetryMs: 50 },
    )
    stops.push(async () => {
      await job.stop()
      await locks.close()
    })
    const holders = async () =>
      (
        await admin<{ pid: number }[]>`
          select a.pid from pg_locks l join pg_stat_activity a using (pid)
          where l.locktype = 'advisory' and l.granted and a.application_name = ${application}`
      ).map((row) => row.pid)
    job.start()
    await waitFor('the first run', async () => runs === 1)
    const [first] = await holders()
    expect(first).toBeNumber()
    // The server ends the session, as when the connection dies: postgres.js would reconnect silently, without the lock.
    await admin`select pg_terminate_backend(${first!}::int)`
    await waitFor('the run to be aborted', async () => aborted.length === 1, 2000)
    expect((aborted[0] as Error).message).toBe('singleton lock lost')
    await waitFor('a run under the lock taken anew', async () => runs === 2, 2000)
    const [second] = await holders()
    expect(second).toBeNumber()
    expect(second).not.toBe(first!)
    expect(job.state()).toBe('ok')
  })
})

describe('module jobs', () => {
  test('report each job in readiness and its lock in metrics', async () => {
    const name = module()
    const registry = new Registry()
    const jobs = [0, 1].map(() =>
      createModuleJobs({
        modules: [
          {
            module: name,
            url,
            jobs: [
              { name: 'singleton', singleton: true, everyMs: 50, run: async () => {} },
              { name: 'everywhere', everyMs: 50, run: async () => {} },
            ],
          },
        ],
        log,
        registry,
        standbyRetryMs: 50,
      }),
    )
    for (const set of jobs) {
      set.start()
      stops.push(set.stop)
    }
    const states = () => jobs.map((set) => set.readiness())
    await waitFor('one holder and one standby', async () =>
      states().some((s) => s[`job_${name}_singleton`] === 'standby') && states().some((s) => s[`job_${name}_singleton`] === 'ok'),
    )
    for (const state of states()) expect(state[`job_${name}_everywhere`]).toBe('ok')
    expect(await sample(registry, 'job_singleton_lock_held', { module: name, job: 'singleton' })).toBeDefined()
    expect(() =>
      createModuleJobs({
        modules: [{ module: name, url, jobs: [{ name: 'twice', everyMs: 1, run: async () => {} }, { name: 'twice', everyMs: 1, run: async () => {} }] }],
        log,
        registry: new Registry(),
      }),
    ).toThrow(/declares job twice twice/)
  })
})
