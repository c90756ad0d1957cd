import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import { createAdvisoryLocks, type AdvisoryLocks } from './advisory-locks.ts'
import type { Job } from './job.ts'
import { jobMetrics } from './metrics.ts'
import { scheduleJob, type ScheduledJob } from './scheduled-job.ts'

export type ModuleJobs = {
  start: () => void
  /** Stops every job (each waits for its run in progress, bounded), then closes the lock connections. */
  stop: () => Promise<void>
  /** `job_<module>_<name>` for each job: `ok`, `standby`, `failing: …` or `stopped`. */
  readiness: () => Record<string, string>
}

/**
 * The jobs the enabled modules declared (`ModuleInstance.jobs`). A module with singleton jobs
 * gets one lock connection on its database, shared by those jobs.
 */
export function createModuleJobs(options: {
  modules: { module: string; url: string; jobs: Job[] }[]
  log: Logger
  registry: Registry
  standbyRetryMs?: number
}): ModuleJobs {
  const log = options.log.child({ component: 'jobs' })
  const metrics = jobMetrics(options.registry)
  const locks: AdvisoryLocks[] = []
  const scheduled: ScheduledJob[] = []
  for (const { module, url, jobs } of options.modules) {
    const names = new Set<string>()
    const moduleLocks = jobs.some((job) => job.singleton) ? createAdvisoryLocks(url, `ondes-${module}-job-locks`) : undefined
    if (moduleLocks) locks.push(moduleLocks)
    for (const job of jobs) {
      if (names.has(job.name)) throw new Error(`module ${module} declares job ${job.name} twice`)
      names.add(job.name)
      scheduled.push(scheduleJob(module, job, { log, metrics, locks: moduleLocks, standbyRetryMs: options.standbyRetryMs }))
    }
  }
  return {
    start() {
      for (const job of scheduled) job.start()
    },
    async stop() {
      await Promise.all(scheduled.map((job) => job.stop()))
      await Promise.allSettled(locks.map((lock) => lock.close()))
    },
    readiness: () => Object.fromEntries(scheduled.map((job) => [`job_${job.module}_${job.name}`, job.state()])),
  }
}
