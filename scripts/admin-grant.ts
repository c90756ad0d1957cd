/**
 * Makes the first admin: `bun run admin:grant <login>`. Uses the same configuration as
 * `bun start` (the embedded default when no USERS_DATABASE_URL is set), and may run beside it.
 * Says one line either way: on stdout when the login is an admin, on stderr why not (exit 2
 * for a wrong command line, 1 for any other refusal).
 */
import { ConfigError, loadConfig } from '../src/platform/config.ts'
import { createModuleDatabase } from '../src/platform/db/database.ts'
import { withEmbeddedDatabases } from '../src/platform/db/embedded-postgres.ts'
import { applyMigrations } from '../src/platform/db/migrate.ts'
import { DomainError } from '../src/platform/errors.ts'
import { createMetrics } from '../src/platform/metrics.ts'
import { grantAdmin, users } from '../src/modules/users/index.ts'

const args = process.argv.slice(2)
if (args.length !== 1 || !args[0]) {
  console.error('admin:grant: usage: bun run admin:grant <login>')
  process.exit(2)
}
const login = args[0].toLowerCase()
// Quoted as JSON, so a login with a line break in it still makes one line.
const quoted = JSON.stringify(login)

/** Where a database is, for a message: host, port and name, never the password of the URL. */
function placeOf(url: string): string {
  try {
    const { host, pathname } = new URL(url)
    return `${host}${pathname}`
  } catch {
    return 'the configured URL'
  }
}

/** Why the grant did not happen, in one line; `database` once the users database is known. */
function refusal(error: unknown, database: string | undefined): string {
  if (error instanceof ConfigError) return `configuration error: ${error.message}`
  // Only the grant throws these (`role.suspended`): the login's own state said no.
  if (error instanceof DomainError) return `${quoted} is not made an admin: ${error.message}`
  const line = (error instanceof Error && error.message ? error.message : String(error)).replace(/\s*\n\s*/g, ' ')
  return database === undefined ? line : `the users database at ${database} cannot be used: ${line}`
}

let exitCode = 0
let database: string | undefined
try {
  const { config, embedded } = await withEmbeddedDatabases({ ...loadConfig(), modules: ['users'] })
  try {
    const url = config.databaseUrls.users ?? ''
    database = placeOf(url)
    await applyMigrations('users', url, users.migrations)
    const pool = createModuleDatabase({ module: 'users', url, poolMax: 1, queryDuration: createMetrics().queryDuration })
    try {
      const id = await grantAdmin(pool, login)
      if (id === undefined) {
        console.error(`admin:grant: no user with login ${quoted}`)
        exitCode = 1
      } else {
        console.log(`admin:grant: ${login} (id ${id}) is an admin; their next login or refresh carries the role`)
      }
    } finally {
      await pool.close()
    }
  } finally {
    // Leave a server the running app uses alone; stop one this command started.
    if (embedded && !embedded.adopted) await embedded.stop()
  }
} catch (error) {
  console.error(`admin:grant: ${refusal(error, database)}`)
  exitCode = 1
}
process.exit(exitCode)
