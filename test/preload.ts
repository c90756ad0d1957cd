/**
 * Runs once before the tests: finds the Postgres server the tests create their databases
 * on — TEST_DATABASE_URL (a superuser URL), or else the embedded Postgres — and tells the
 * harness through ONDES_TEST_ADMIN_URL. Templates are built lazily by the harness.
 */
import { afterAll } from 'bun:test'
import { resolve } from 'node:path'
import { startEmbeddedPostgres } from '../src/platform/db/embedded-postgres.ts'
import { TEST_ADMIN_URL_VARIABLE } from '../src/platform/testing/databases.ts'

if (!process.env[TEST_ADMIN_URL_VARIABLE]) {
  if (process.env.TEST_DATABASE_URL) {
    process.env[TEST_ADMIN_URL_VARIABLE] = process.env.TEST_DATABASE_URL
  } else {
    const server = await startEmbeddedPostgres({
      dataDir: resolve(import.meta.dir, '../.data/test-postgres'),
      port: Number(process.env.TEST_EMBEDDED_POSTGRES_PORT ?? 54339),
    })
    process.env[TEST_ADMIN_URL_VARIABLE] = server.adminUrl
    // A server adopted from another run (or left by a crash) is that run's to stop, not ours.
    if (!server.adopted) afterAll(() => server.stop())
  }
}
