/**
 * Figure 1: GET /api/users/{id} through the whole app (platform request wrapper, zod-openapi
 * param validation, one prepared primary-key read on the timed pool, the view) against a plain
 * Hono route doing one raw postgres.js primary-key select of the same columns of the same table.
 */
import { startOndesApp, type OndesApp } from './fixture.ts'
import { cleanEnv, compareFresh, log, report, SEED_USERS, SETTINGS, startServer, throughputRow, type Row } from './lib.ts'

export const TARGET = 0.8

export async function userById(app: OndesApp): Promise<Row> {
  process.env.BENCH_SEED_USERS = String(SEED_USERS)
  log('figure 1: GET /api/users/{id} (both servers started afresh each round)')
  let round = 0
  const c = await compareFresh(
    { label: 'Ondes GET /api/users/{id}', start: () => app.spawn(`ondes-app-users-${++round}`), path: '', script: 'user-by-id.lua' },
    {
      label: 'Hono + raw postgres.js',
      start: () =>
        startServer(
          `baseline-hono-pg-${round + 1}`,
          ['bench/servers/hono-pg.ts'],
          cleanEnv({ DATABASE_URL: app.databaseUrl, DB_POOL_MAX: String(SETTINGS.poolMax) }),
        ),
      path: '',
      script: 'user-by-id.lua',
    },
  )
  return throughputRow('1. GET /api/users/{id}', c, TARGET, 'Hono + raw postgres.js PK select')
}

if (import.meta.main) {
  const app = await startOndesApp()
  try {
    report([await userById(app)])
  } finally {
    await app.stop()
  }
}
