import { Cron } from 'croner'
import type { JobSchedule } from './job.ts'

/** When the next run is due, in epoch ms; `first` is the job starting (or taking its lock). */
export type NextRun = (now: number, first: boolean) => number

/** The schedule as a function; throws on an invalid cron expression or interval, so a bad job fails start-up. */
export function nextRunOf(schedule: JobSchedule, job: string): NextRun {
  if (schedule.cron !== undefined) {
    let cron: Cron
    try {
      cron = new Cron(schedule.cron, { timezone: 'Etc/UTC' })
    } catch (error) {
      throw new Error(`job ${job}: invalid cron expression '${schedule.cron}': ${(error as Error).message}`)
    }
    return (now) => {
      const next = cron.nextRun(new Date(now))
      if (!next) throw new Error(`job ${job}: '${schedule.cron}' has no future run`)
      return next.getTime()
    }
  }
  const every = schedule.everyMs
  if (!Number.isFinite(every) || every < 0) throw new Error(`job ${job}: everyMs must be a number >= 0, got ${every}`)
  return (now, first) => (first ? now : now + every)
}
