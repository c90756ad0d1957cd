/**
 * Baseline of figure 4: the embedded PostgreSQL alone, started on the same data directory the
 * app uses, through the platform's own `startEmbeddedPostgres` — the floor under the app's
 * start-up. Stops it on SIGTERM.
 */
import { resolve } from 'node:path'
import { startEmbeddedPostgres } from '../../src/platform/db/embedded-postgres.ts'

const dataDir = process.env.DATA_DIR
if (!dataDir) throw new Error('DATA_DIR is required')
const server = await startEmbeddedPostgres({
  dataDir: resolve(dataDir, 'postgres'),
  port: Number(process.env.EMBEDDED_POSTGRES_PORT),
})
console.log(`embedded Postgres up (adopted: ${server.adopted})`)
process.on('SIGTERM', async () => {
  await server.stop()
  process.exit(0)
})
