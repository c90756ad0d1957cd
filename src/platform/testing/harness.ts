import postgres, { type Sql } from 'postgres'
import type { Clock } from '../clock.ts'
import { loadConfig, type Config } from '../config.ts'
import type { ModuleDefinition } from '../module.ts'
import { createPlatform, type Platform } from '../platform.ts'
import { createDatabaseFromTemplate } from './databases.ts'

export type TestPlatform = {
  platform: Platform
  /** Sends a request through the whole app, as a client would (no socket). */
  request: (path: string, init?: RequestInit & { json?: unknown; token?: string }) => Promise<Response>
  /** A raw connection to each module's fresh database, for assertions on rows. */
  sql: Record<string, Sql>
  /** Per-module database URLs (for a second process on the same databases). */
  databaseUrls: Config['databaseUrls']
  close: () => Promise<void>
}

/**
 * The app as `main.ts` builds it, on fresh databases cloned from migrated templates.
 * `env` adds configuration (REDIS_URL, TTLs, …) exactly as the environment would; the
 * modules served are `modules`, whatever their names (a test module has its own). `clock` is
 * the time the modules are told (a `movableClock` for date-bound rules).
 */
export async function createTestPlatform(
  modules: ModuleDefinition[],
  env: Record<string, string | undefined> = {},
  options: { clock?: Clock } = {},
): Promise<TestPlatform> {
  const databases = await Promise.all(modules.map((m) => createDatabaseFromTemplate(m.name, m.migrations)))
  const base = loadConfig({
    LOG_LEVEL: 'silent',
    DATA_DIR: '.data/test',
    DB_POOL_MAX: '5',
    ...env,
  })
  const databaseUrls = Object.fromEntries(modules.map((m, i) => [m.name, databases[i]?.url])) as Config['databaseUrls']
  // A refused start-up (a bad module setting, a test of one) leaves no database behind.
  const platform = await createPlatform({ ...base, modules: modules.map((m) => m.name), databaseUrls }, modules, options).catch(
    async (error: unknown) => {
      await Promise.all(databases.map((d) => d.drop()))
      throw error
    },
  )
  const sql = Object.fromEntries(
    modules.map((m, i) => [m.name, postgres(databases[i]?.url ?? '', { max: 2, onnotice: () => {} })]),
  )
  return {
    platform,
    sql,
    databaseUrls,
    request: (path, init = {}) => {
      const { json, token, ...rest } = init
      const headers = new Headers(rest.headers)
      if (json !== undefined) headers.set('content-type', 'application/json')
      if (token) headers.set('authorization', `Bearer ${token}`)
      return Promise.resolve(
        platform.fetch(
          new Request(`http://ondes.test${path}`, {
            ...rest,
            headers,
            body: json !== undefined ? JSON.stringify(json) : rest.body,
          }),
        ),
      )
    },
    close: async () => {
      await platform.stop()
      await Promise.all(Object.values(sql).map((s) => s.end()))
      await Promise.all(databases.map((d) => d.drop()))
    },
  }
}

/**
 * Redis for tests that need it: `REDIS_URL`, or undefined with a plain note that the test
 * was skipped. With `REQUIRE_REDIS=1` (CI) a missing Redis is a failure, never a skip.
 */
export function testRedisUrl(what: string): string | undefined {
  const url = process.env.REDIS_URL
  if (url) return url
  if (process.env.REQUIRE_REDIS === '1') throw new Error(`REQUIRE_REDIS=1 but REDIS_URL is not set (needed by: ${what})`)
  console.warn(`SKIPPED (REDIS_URL not set): ${what}`)
  return undefined
}
