/**
 * Makes the first admin: `bun run admin:grant <login>`. Uses the same configuration as
 * `bun start` (the embedded default when no USERS_DATABASE_URL is set), and may run beside it.
 */
import { ConfigError, loadConfig } from '../src/platform/config.ts'
import { createModuleDatabase } from '../src/platform/db/database.ts'
import { withEmbeddedDatabases } from '../src/platform/db/embedded-postgres.ts'
import { applyMigrations } from '../src/platform/db/migrate.ts'
import { createMetrics } from '../src/platform/metrics.ts'
import { grantAdmin, users } from '../src/modules/users/index.ts'

const login = process.argv[2]?.toLowerCase()
if (!login) {
  console.error('usage: bun run admin:grant <login>')
  process.exit(2)
}

let exitCode = 0
try {
  const { config, embedded } = await withEmbeddedDatabases({ ...loadConfig(), modules: ['users'] })
  const url = config.databaseUrls.users ?? ''
  await applyMigrations('users', url, users.migrations)
  const database = createModuleDatabase({ module: 'users', url, poolMax: 1, queryDuration: createMetrics().queryDuration })
  try {
    const id = await grantAdmin(database, login)
    if (id === undefined) {
      console.error(`admin:grant: no user with login "${login}"`)
      exitCode = 1
    } else {
      console.log(`admin:grant: ${login} (id ${id}) is an admin; their next login or refresh carries the role`)
    }
  } finally {
    await database.close()
    // Leave a server the running app uses alone; stop one this command started.
    if (embedded && !embedded.adopted) await embedded.stop()
  }
} catch (error) {
  console.error(error instanceof ConfigError ? `admin:grant: configuration error: ${error.message}` : error)
  exitCode = 1
}
process.exit(exitCode)
