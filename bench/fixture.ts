/**
 * The Ondes app under test: a scratch users database (cloned from the migrated template,
 * seeded with 10k users and a login account) and `bun src/main.ts` serving it in a child
 * process with every module of the build (the others on empty databases), exactly as `bun start`
 * would with the *_DATABASE_URL variables set.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { resolve } from 'node:path'
import postgres from 'postgres'
import { cleanEnv, log, otherModuleDatabases, seedUsers, SEED_USERS, SETTINGS, startServer, usersDatabase, type Child } from './lib.ts'

export type OndesApp = {
  url: string
  child: Child
  databaseUrl: string
  /** DATA_DIR of the app: its generated signing keys, reused by other platform servers. */
  dataDir: string
  loginHash: string
  /** Every other module's scratch database, by module name (streams, subscriptions…), for the benches that seed them. */
  databaseUrls: Record<string, string>
  /** Another `bun src/main.ts` on the same database, in a process of its own (the caller stops it). */
  spawn: (name: string) => Promise<{ url: string; child: Child }>
  stop: () => Promise<void>
}

/**
 * The seed grants partner through user_roles alone; the app grants it with the users row's
 * broadcaster_type in the same transaction (roles.ts), so the seed is brought in line.
 */
async function markPartners(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  try {
    await sql`update users set broadcaster_type = 'partner' where id in (select user_id from user_roles where role = 'partner')`
    await sql`vacuum analyze users`
  } finally {
    await sql.end()
  }
}

/**
 * `env`: settings a figure needs on top of the bench's own (a private REDIS_URL, a module's
 * limits). `users: false` leaves the users database empty (no login account either): with Redis,
 * every consumer of users events joins late and takes in a snapshot of all seeded users at start.
 */
export async function startOndesApp(options: { env?: Record<string, string>; users?: boolean } = {}): Promise<OndesApp> {
  const { env = {}, users = true } = options
  log('creating a scratch users database from the migrated template')
  const database = await usersDatabase()
  const others = await otherModuleDatabases()
  const dataDir = mkdtempSync(resolve(tmpdir(), 'ondes-bench-data-'))
  let child: Child | undefined
  try {
    let loginHash = ''
    if (users) {
      log(`seeding ${SEED_USERS} users and the login account (${database.name})`)
      ;({ loginHash } = await seedUsers(database.url))
      await markPartners(database.url)
    }
    const spawn = (name: string) =>
      startServer(
        name,
        // BENCH_PROFILE: a directory the app writes a `--cpu-prof-md` profile to when it stops.
        [...(process.env.BENCH_PROFILE ? ['--cpu-prof-md', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []), 'src/main.ts'],
        cleanEnv({
          ...others.env,
          USERS_DATABASE_URL: database.url,
          DB_POOL_MAX: String(SETTINGS.poolMax),
          LOG_LEVEL: 'warn',
          DATA_DIR: dataDir,
          AUTH_ATTEMPTS_PER_MINUTE: '1000000000',
          // 50 logins in flight for one account from one address look like guessing (each counts as a failure until it succeeds).
          AUTH_FAILURES_PER_ACCOUNT: '1000000000',
          ...env,
        }),
        '/readyz',
      )
    const app = await spawn('ondes-app')
    child = app.child
    log(`Ondes app up at ${app.url}`)
    return {
      url: app.url,
      child: app.child,
      databaseUrl: database.url,
      dataDir,
      loginHash,
      databaseUrls: others.urls,
      spawn,
      stop: async () => {
        const code = await app.child.stop()
        if (code !== 0) log(`ondes-app exited with ${code} (see ${app.child.logPath})`)
        await database.drop()
        await others.drop()
        rmSync(dataDir, { recursive: true, force: true })
      },
    }
  } catch (error) {
    await child?.stop()
    await database.drop()
    await others.drop()
    rmSync(dataDir, { recursive: true, force: true })
    throw error
  }
}
