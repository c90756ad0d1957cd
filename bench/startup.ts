/**
 * Figure 4: from spawning `bun src/main.ts` on the embedded default (no *_DATABASE_URL, a
 * fresh DATA_DIR, its own EMBEDDED_POSTGRES_PORT) to /readyz answering 200, on the SECOND
 * start (the first one runs initdb, creates the databases and keys, applies migrations).
 * Baseline: the embedded Postgres alone started on the same data directory, from spawn to its
 * first `select 1`.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { resolve } from 'node:path'
import postgres from 'postgres'
import { storedPassword } from '../src/platform/db/embedded-password.ts'
import { cleanEnv, freePort, log, report, SETTINGS, spawnBun, tail, waitFor, type Row } from './lib.ts'

export const TARGET_MS = 10_000

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`

async function waitForPostgres(port: number, password: string, since: number, timeoutMs = 60_000): Promise<number> {
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`
  while (performance.now() - since < timeoutMs) {
    const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 2 })
    try {
      await sql`select 1`
      return performance.now() - since
    } catch {
      await Bun.sleep(20)
    } finally {
      await sql.end({ timeout: 1 }).catch(() => {})
    }
  }
  throw new Error(`embedded Postgres on ${port} did not answer in ${timeoutMs} ms`)
}

async function stopped(dataDir: string): Promise<void> {
  // main.ts stops the embedded server before exiting; make sure it really is gone.
  const pidFile = resolve(dataDir, 'postgres', 'postmaster.pid')
  for (let i = 0; i < 200 && existsSync(pidFile); i++) await Bun.sleep(50)
  if (existsSync(pidFile)) throw new Error(`embedded Postgres still running (${pidFile})`)
}

export async function startup(): Promise<Row> {
  // 0755: as root, Postgres runs as the `postgres` user, which must reach its data directory.
  const dataDir = mkdtempSync('/tmp/ondes-bench-startup-')
  chmodSync(dataDir, 0o755)
  const pgPort = freePort()
  const env = (port: number) =>
    cleanEnv({ DATA_DIR: dataDir, EMBEDDED_POSTGRES_PORT: String(pgPort), PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' })

  const appStart = async (label: string): Promise<number> => {
    const port = freePort()
    const since = performance.now()
    const child = spawnBun(label, ['src/main.ts'], env(port))
    try {
      return await waitFor(`http://127.0.0.1:${port}/readyz`, { child, since, timeoutMs: 180_000, intervalMs: 10 })
    } finally {
      const code = await child.stop()
      if (code !== 0) throw new Error(`${label} exited with ${code} after SIGTERM:\n${tail(child.logPath)}`)
      await stopped(dataDir)
    }
  }
  const postgresAlone = async (label: string): Promise<number> => {
    const since = performance.now()
    const child = spawnBun(label, ['bench/servers/postgres-alone.ts'], env(0))
    try {
      // The password the first start's initdb generated, kept in the data directory.
      return await waitForPostgres(pgPort, storedPassword(resolve(dataDir, 'postgres')) ?? '', since)
    } finally {
      await child.stop()
      await stopped(dataDir)
    }
  }

  try {
    log('figure 4: start-up on the embedded default')
    const first = await appStart('startup-1-first')
    log(`first start (initdb, databases, keys, migrations): ${seconds(first)}`)
    const second = await appStart('startup-2-second')
    log(`second start: ${seconds(second)}`)
    const baseline = await postgresAlone('startup-postgres-alone')
    log(`embedded Postgres alone: ${seconds(baseline)}`)
    const later: number[] = []
    for (let i = 1; i < SETTINGS.rounds; i++) {
      later.push(await appStart(`startup-${i + 2}`))
      log(`start ${i + 2}: ${seconds(later.at(-1)!)}`)
    }
    return {
      figure: '4. `bun src/main.ts` → /readyz 200, embedded default, 2nd start',
      ondes: seconds(second),
      baseline: `${seconds(baseline)} (embedded Postgres alone, same data dir)`,
      ratio: `${(second / baseline).toFixed(2)} ×`,
      target: `< ${seconds(TARGET_MS)}`,
      met: second < TARGET_MS,
      notes: [
        `first start (initdb + databases + keys + migrations): ${seconds(first)}`,
        ...(later.length ? [`later starts: ${later.map(seconds).join(', ')}`] : []),
      ],
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

if (import.meta.main) report([await startup()])
