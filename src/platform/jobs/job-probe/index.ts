/**
 * A test module with one singleton job that records each of its runs (which process, from when
 * to when) in its own table, so a test can tell who ran it and whether runs ever overlapped.
 */
import { OpenAPIHono } from '@hono/zod-openapi'
import { resolve } from 'node:path'
import type { AppEnv } from '../../http/env.ts'
import type { ModuleDefinition } from '../../module.ts'

export const JOB_PROBE = 'job-probe'

/** `everyMs` between runs; each run lasts `runMs`, long enough for an overlap to show. */
export function jobProbe(options: { everyMs: number; runMs: number }): ModuleDefinition {
  return {
    name: JOB_PROBE,
    prefixes: [],
    migrations: resolve(import.meta.dir, 'migrations'),
    create: ({ database }) => ({
      routes: new OpenAPIHono<AppEnv>(),
      jobs: [
        {
          name: 'record-run',
          everyMs: options.everyMs,
          singleton: true,
          run: async () => {
            // The database's clock, so runs of several processes compare on one time line.
            const [row] = await database.sql<{ id: string }[]>`
              insert into job_runs (pid, started_at) values (${process.pid}, clock_timestamp()) returning id`
            await Bun.sleep(options.runMs)
            await database.sql`update job_runs set finished_at = clock_timestamp() where id = ${row!.id}`
          },
        },
      ],
    }),
  }
}
