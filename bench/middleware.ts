/**
 * Figure 2: the platform's middleware stack on a trivial route (createPlatform with a tiny
 * module answering "ok") against a bare `Bun.serve` answering "ok". With the app fixture
 * given, also GET /healthz on the real app (users module mounted) against the same baseline.
 */
import type { OndesApp } from './fixture.ts'
import { startOndesApp } from './fixture.ts'
import { cleanEnv, compare, log, report, SETTINGS, startServer, throughputRow, type Row } from './lib.ts'

export const TARGET = 0.7

export async function middleware(app: OndesApp): Promise<Row[]> {
  const bare = await startServer('baseline-bare', ['bench/servers/bare.ts'], cleanEnv())
  const platform = await startServer(
    'ondes-platform-ok',
    ['bench/servers/platform-ok.ts'],
    cleanEnv({
      USERS_DATABASE_URL: app.databaseUrl,
      DB_POOL_MAX: String(SETTINGS.poolMax),
      LOG_LEVEL: 'warn',
      DATA_DIR: app.dataDir,
    }),
    '/readyz',
  )
  try {
    log('figure 2: platform middleware on a trivial route')
    const trivial = await compare(
      { label: 'createPlatform GET /api/bench/ok', url: `${platform.url}/api/bench/ok` },
      { label: 'bare Bun.serve', url: bare.url },
    )
    log('figure 2b: GET /healthz on the real app')
    const healthz = await compare(
      { label: 'Ondes GET /healthz', url: `${app.url}/healthz` },
      { label: 'bare Bun.serve', url: bare.url },
    )
    return [
      throughputRow('2. platform middleware, trivial route', trivial, TARGET, 'bare Bun.serve "ok"'),
      throughputRow('2b. GET /healthz on the real app', healthz, TARGET, 'bare Bun.serve "ok"'),
    ]
  } finally {
    await platform.child.stop()
    await bare.child.stop()
  }
}

if (import.meta.main) {
  const app = await startOndesApp()
  try {
    report(await middleware(app))
  } finally {
    await app.stop()
  }
}
