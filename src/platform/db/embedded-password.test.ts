import { afterAll, describe, expect, test } from 'bun:test'
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, unlinkSync } from 'node:fs'
import { resolve } from 'node:path'
import postgres from 'postgres'
import { ConfigError } from '../config.ts'
import { accepts, freePort } from '../testing/processes.ts'
import { LEGACY_PASSWORD, PASSWORD_FILE, storedPassword } from './embedded-password.ts'
import { startEmbeddedPostgres, type EmbeddedPostgresServer } from './embedded-postgres.ts'

// As root, Postgres runs as the `postgres` user: the directory must be reachable by it.
const root = mkdtempSync('/tmp/ondes-embedded-password-')
chmodSync(root, 0o755)
const dataDir = resolve(root, 'postgres')
const port = freePort()
const urlWith = (password: string) => `postgres://postgres:${password}@127.0.0.1:${port}/postgres`

let server: EmbeddedPostgresServer | undefined
afterAll(async () => {
  await server?.stop()
  rmSync(root, { recursive: true, force: true })
}, 30_000)

/** `select 1` with `password`: 'ok', or the SQLSTATE it was refused with. */
async function signIn(password: string): Promise<string> {
  const sql = postgres(urlWith(password), { max: 1, onnotice: () => {}, connect_timeout: 5 })
  try {
    await sql`select 1`
    return 'ok'
  } catch (error) {
    return String((error as { code?: string }).code)
  } finally {
    await sql.end({ timeout: 1 })
  }
}

async function query<T>(url: string, run: (sql: postgres.Sql) => PromiseLike<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  try {
    return await run(sql)
  } finally {
    await sql.end({ timeout: 1 })
  }
}

async function start(onLog?: (line: string) => void): Promise<EmbeddedPostgresServer> {
  server = await startEmbeddedPostgres({ dataDir, port, onLog })
  return server
}

async function stop(): Promise<void> {
  await server?.stop()
  server = undefined
  expect(await accepts(port)).toBe(false)
}

describe('the embedded superuser password', () => {
  test('is random, made by initdb, kept 0600 in the data directory, and the same after a restart', async () => {
    const first = await start()
    const file = resolve(first.databaseDir, PASSWORD_FILE)
    const password = storedPassword(first.databaseDir)
    expect(password).toMatch(/^[0-9a-f]{64}$/)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    // Nothing is left beside the data directory.
    expect(existsSync(`${first.databaseDir}.initdb-password`)).toBe(false)
    expect(first.adminUrl).toBe(urlWith(password as string))
    expect(await signIn(password as string)).toBe('ok')
    // 28P01: invalid_password.
    expect(await signIn(LEGACY_PASSWORD)).toBe('28P01')
    await query(first.adminUrl, (sql) => sql`create table kept (note text); insert into kept values ('before')`.simple())

    // A second command beside a running server reads the same file.
    const adopted = await startEmbeddedPostgres({ dataDir, port })
    expect(adopted.adopted).toBe(true)
    expect(adopted.adminUrl).toBe(first.adminUrl)

    await stop()
    const again = await start()
    expect(again.adopted).toBe(false)
    expect(again.adminUrl).toBe(first.adminUrl)
    expect(await query(again.adminUrl, (sql) => sql`select note from kept`.then((rows) => [...rows]))).toEqual([{ note: 'before' }])
  }, 60_000)

  test('a data directory made with the old fixed password keeps working: a random one replaces it, data kept', async () => {
    const running = server ?? (await start())
    // The state an older checkout left: the fixed password, no file.
    await query(running.adminUrl, (sql) => sql.unsafe(`alter role postgres password '${LEGACY_PASSWORD}'`))
    unlinkSync(resolve(running.databaseDir, PASSWORD_FILE))
    await stop()

    const lines: string[] = []
    const migrated = await start((line) => lines.push(line))
    const password = storedPassword(migrated.databaseDir)
    expect(password).toMatch(/^[0-9a-f]{64}$/)
    expect(statSync(resolve(migrated.databaseDir, PASSWORD_FILE)).mode & 0o777).toBe(0o600)
    expect(migrated.adminUrl).toBe(urlWith(password as string))
    expect(await signIn(LEGACY_PASSWORD)).toBe('28P01')
    expect(await signIn(password as string)).toBe('ok')
    expect(await query(migrated.adminUrl, (sql) => sql`select note from kept`.then((rows) => [...rows]))).toEqual([{ note: 'before' }])
    expect(lines.join('\n')).toContain('replaced by a random one')
    expect(migrated.notices).toEqual([expect.stringContaining('replaced by a random one')])
    expect(existsSync(resolve(migrated.databaseDir, `${PASSWORD_FILE}.next`))).toBe(false)
  }, 60_000)

  test('with the file lost and the old default refused, start-up stops with the file to restore, and no server is left', async () => {
    const running = server ?? (await start())
    const file = resolve(running.databaseDir, PASSWORD_FILE)
    unlinkSync(file)
    await stop()

    const refused = await startEmbeddedPostgres({ dataDir, port }).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(ConfigError)
    expect((refused as Error).message).toContain(file)
    expect(await accepts(port)).toBe(false)
    expect(existsSync(resolve(running.databaseDir, 'postmaster.pid'))).toBe(false)
  }, 60_000)
})
