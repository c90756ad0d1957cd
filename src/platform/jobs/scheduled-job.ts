import type { Logger } from 'pino'
import { histogramSeries } from '../metrics.ts'
import type { AdvisoryLocks } from './advisory-locks.ts'
import type { Job } from './job.ts'
import type { JobMetrics } from './metrics.ts'
import { nextRunOf } from './schedule.ts'

export type ScheduledJob = {
  module: string
  name: string
  start: () => void
  /** Stops scheduling and waits for a run in progress (at most `stopTimeoutMs`, then abandons it). */
  stop: () => Promise<void>
  /**
   * Runs the job now rather than at its next scheduled time — after the run in progress, if
   * there is one — except while it waits out a failure's `retryMs`: the relay's NOTIFY.
   */
  wake: () => void
  /** For /readyz: `ok`, `standby` (a singleton another replica holds), `failing: …`, `stopped`. */
  state: () => string
}

/** Standby replicas try to take a singleton's lock this often; the bound on a takeover after the holder dies. */
export const STANDBY_RETRY_MS = 1000
const STOP_TIMEOUT_MS = 10_000
/** setTimeout's longest delay; a cron run further away is waited for in steps. */
const LONGEST_TIMER_MS = 2 ** 31 - 1

const message = (error: unknown) => (error instanceof Error ? error.message : String(error))

/**
 * Runs `job` of `module` on its schedule until stopped. A singleton job needs `locks` (a
 * connection of its own on the module's database): it runs only while that connection holds
 * the job's advisory lock, checked with the server before each run.
 */
export function scheduleJob(
  module: string,
  job: Job,
  options: {
    log: Logger
    metrics: JobMetrics
    locks?: AdvisoryLocks
    standbyRetryMs?: number
    stopTimeoutMs?: number
  },
): ScheduledJob {
  const { metrics, locks, standbyRetryMs = STANDBY_RETRY_MS, stopTimeoutMs = STOP_TIMEOUT_MS } = options
  const log = options.log.child({ module, job: job.name })
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(job.name)) throw new Error(`job ${module}/${job.name}: name must be lowercase words and dashes`)
  if (job.singleton && !locks) throw new Error(`job ${module}/${job.name}: a singleton job needs advisory locks`)
  const nextRun = nextRunOf(job, `${module}/${job.name}`)
  const failingAfter = job.failingAfter ?? 3
  const lockKey = `${module}:${job.name}`
  const labels = { module, job: job.name }
  const observeDuration = histogramSeries(metrics.duration, labels)
  const lastSuccess = metrics.lastSuccess.labels(labels)
  const failuresTotal = metrics.failures.labels(labels)
  const lockHeld = job.singleton ? metrics.lockHeld.labels(labels) : undefined
  failuresTotal.inc(0)
  lockHeld?.set(0)

  const stopping = new AbortController()
  /** Aborts a singleton's run in progress when its lock is lost. */
  let current = new AbortController()
  let held = false
  let woken = false
  let interrupt: ((why: 'wake' | 'lost') => void) | undefined
  let running: Promise<void> | undefined
  let failures = 0
  let lastError = ''
  let state = job.singleton ? 'standby' : 'ok'

  const lost = () => {
    if (!held) return
    held = false
    state = 'standby'
    lockHeld?.set(0)
    // Another replica may take the lock from now on: the run must heed its signal.
    current.abort(new Error('singleton lock lost'))
    log.warn('singleton job lock lost; standing by')
    interrupt?.('lost')
  }
  if (job.singleton) locks?.onLost(lost)

  /** Resolves at `dueAt`, on stop, on a lost lock, or (when `wakeable`) on `wake()`. */
  const sleepUntil = (dueAt: number, wakeable: boolean) =>
    new Promise<void>((resolve) => {
      if (stopping.signal.aborted || (wakeable && woken)) return resolve()
      const delay = Math.min(LONGEST_TIMER_MS, Math.max(0, dueAt - Date.now()))
      const done = () => {
        clearTimeout(timer)
        stopping.signal.removeEventListener('abort', done)
        interrupt = undefined
        resolve()
      }
      const timer = setTimeout(done, delay)
      stopping.signal.addEventListener('abort', done)
      interrupt = (why) => {
        if (why === 'lost' || wakeable) done()
      }
    })

  /** Takes the lock if it is free; false (standing by) if another replica holds it or the database is away. */
  const acquire = async (): Promise<boolean> => {
    try {
      if (!(await locks!.tryAcquire(lockKey))) {
        state = 'standby'
        return false
      }
    } catch (error) {
      state = `failing: cannot take the singleton lock: ${message(error)}`
      return false
    }
    held = true
    lockHeld?.set(1)
    state = failures >= failingAfter ? `failing: ${lastError}` : 'ok'
    log.info('singleton job lock taken; running here')
    return true
  }

  const runOnce = async (): Promise<boolean> => {
    woken = false
    let signal = stopping.signal
    if (job.singleton) {
      current = new AbortController()
      signal = AbortSignal.any([stopping.signal, current.signal])
    }
    const started = performance.now()
    try {
      await job.run({ signal })
      observeDuration((performance.now() - started) / 1000)
      lastSuccess.set(Date.now() / 1000)
      if (failures > 0) log.info({ failures }, 'job recovered')
      failures = 0
      state = 'ok'
      return true
    } catch (error) {
      observeDuration((performance.now() - started) / 1000)
      failuresTotal.inc()
      lastError = message(error)
      // Once per streak at warn: a job failing every second must not flood the log.
      if (failures++ === 0) log.warn({ err: error }, 'job failed')
      else log.debug({ err: error, failures }, 'job failed again')
      if (failures >= failingAfter) state = `failing: ${lastError}`
      return false
    }
  }

  const loop = async () => {
    let dueAt = nextRun(Date.now(), true)
    while (!stopping.signal.aborted) {
      if (job.singleton && !held) {
        if (!(await acquire())) {
          await sleepUntil(Date.now() + standbyRetryMs, false)
          continue
        }
        dueAt = nextRun(Date.now(), true)
      }
      const backingOff = failures > 0 && job.retryMs !== undefined
      await sleepUntil(dueAt, !backingOff)
      if (stopping.signal.aborted) break
      if (job.singleton) {
        if (!held) continue
        // The connection may have been replaced by a new session since (postgres.js reconnects silently).
        const still = await locks!.holds(lockKey).catch(() => false)
        if (!still) {
          lost()
          continue
        }
      }
      const succeeded = await runOnce()
      const now = Date.now()
      dueAt = !succeeded && job.retryMs ? now + job.retryMs(failures) : nextRun(now, false)
    }
    state = 'stopped'
    if (held) {
      held = false
      await locks!.release(lockKey).catch(() => {})
    }
    lockHeld?.set(0)
  }

  return {
    module,
    name: job.name,
    start() {
      running ??= loop()
    },
    async stop() {
      stopping.abort(new Error('stopping'))
      if (!running) {
        state = 'stopped'
        return
      }
      let timer: ReturnType<typeof setTimeout> | undefined
      const finished = await Promise.race([
        running.then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), stopTimeoutMs))),
      ])
      clearTimeout(timer)
      if (!finished) {
        state = 'stopped'
        log.warn({ stopTimeoutMs }, 'job run still going at stop; abandoned')
      }
    },
    wake() {
      woken = true
      interrupt?.('wake')
    },
    state: () => state,
  }
}
