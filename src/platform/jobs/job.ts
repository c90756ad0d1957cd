/** What one run of a job is handed. */
export type JobRun = {
  /**
   * Aborts when the process stops, or when a singleton job's lock is lost (another replica may
   * take over): stop at the next safe point. A run that outlives the stop timeout is abandoned.
   */
  signal: AbortSignal
}

/** When a job runs: every `everyMs` after the end of the previous run, or at the times of a cron expression. */
export type JobSchedule =
  | {
      /** Runs as the job starts (a singleton job: as it takes the lock), then this long after each run ends. */
      everyMs: number
      cron?: never
    }
  | {
      /** Five or six fields (with seconds), evaluated in UTC by croner, e.g. `0 3 * * *` for 03:00 UTC daily. */
      cron: string
      everyMs?: never
    }

/**
 * A named piece of background work the platform runs on a schedule, after migrations and the
 * module's `start`, and stops (waiting for a run in progress, bounded) before pools close. Runs of
 * one job never overlap in a process; a `singleton` job runs on exactly one replica at a time,
 * the one holding a Postgres advisory lock on the module's database (others stand by and retry).
 * Metrics `job_*{module, job}` and the `/readyz` check `job_<module>_<name>` report on it.
 *
 * @example
 * // src/modules/users/index.ts
 * create: ({ database }) => ({
 *   routes,
 *   jobs: [
 *     {
 *       name: 'expired-sessions',
 *       everyMs: 60_000,
 *       singleton: true,
 *       run: async () => {
 *         await database.sql`delete from sessions where expires_at < now() - interval '1 day'`
 *       },
 *     },
 *     { name: 'nightly-rollup', cron: '0 3 * * *', singleton: true, run: ({ signal }) => rollUp(database, signal) },
 *   ],
 * })
 */
export type Job = JobSchedule & {
  /** Unique within the module; lowercase words and dashes (it names metrics labels and a /readyz check). */
  name: string
  /** One run; a throw counts as a failure (metrics, log, /readyz) and the schedule goes on. */
  run: (run: JobRun) => Promise<void>
  /** On one replica at a time (default false: on every replica). */
  singleton?: boolean
  /** /readyz says `failing: …` once this many runs in a row failed (default 3). */
  failingAfter?: number
  /** After the `failures`-th failure in a row, wait this long instead of the schedule (default: the schedule). */
  retryMs?: (failures: number) => number
}
