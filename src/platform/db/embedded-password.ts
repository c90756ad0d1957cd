/**
 * The embedded PostgreSQL's superuser password: random, made once per data directory and kept
 * in a 0600 file inside it, so no two checkouts (or machines) share one and it is never in the
 * source. Clusters made before had the fixed password `ondes`: they are given a random one at
 * their first start with this code (ALTER ROLE), their data kept.
 */
import { randomBytes } from 'node:crypto'
import { chownSync, existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import postgres from 'postgres'
import { ConfigError } from '../config.ts'
import type { ServerUser } from './embedded-postgres-root.ts'

/** Inside the data directory: Postgres ignores files it does not know, backups of it carry it along. */
export const PASSWORD_FILE = 'ondes-superuser-password'

/** The superuser password of clusters made before passwords were generated. */
export const LEGACY_PASSWORD = 'ondes'

/** Hex: safe in a URL and in a SQL literal as it is. */
const generate = () => randomBytes(32).toString('hex')

const stored = (databaseDir: string) => resolve(databaseDir, PASSWORD_FILE)
// Beside the data directory while initdb runs (it refuses a directory with anything in it).
const forInitdb = (databaseDir: string) => `${databaseDir}.initdb-password`
// Inside it while a legacy cluster's password is changed: written before, renamed after.
const next = (databaseDir: string) => `${stored(databaseDir)}.next`

function read(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8').trim() || undefined : undefined
}

/**
 * The stored password of the cluster in `databaseDir`, if it has one.
 *
 * @example const password = storedPassword('.data/postgres') // 64 hex digits, or undefined
 */
export function storedPassword(databaseDir: string): string | undefined {
  return read(stored(databaseDir))
}

/**
 * A new password for initdb to set (`--pwfile`, readable by `user`, who runs initdb), and
 * `keep` to call once initdb succeeded: it moves the file into the data directory.
 *
 * @example
 * const password = passwordForInitdb(dataDir, user)
 * await runInitdb(`--pwfile=${password.file}`)
 * password.keep()
 */
export function passwordForInitdb(databaseDir: string, user: ServerUser | undefined) {
  const password = generate()
  const file = forInitdb(databaseDir)
  writeFileSync(file, `${password}\n`, { mode: 0o600 })
  if (user) chownSync(file, user.uid, user.gid)
  return {
    password,
    file,
    keep: () => renameSync(file, stored(databaseDir)),
    discard: () => rmSync(file, { force: true }),
  }
}

/** Whether the server at `url` takes its password; false only for "password authentication failed". */
async function accepted(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 })
  try {
    await sql`select 1`
    return true
  } catch (error) {
    if ((error as { code?: string }).code === '28P01') return false
    throw error
  } finally {
    await sql.end({ timeout: 1 })
  }
}

/**
 * The superuser password of the running server on `databaseDir`: the stored one; else one an
 * interrupted start left (initdb's, or a change's), then stored; else the legacy `ondes`,
 * replaced at once by a random one (stored first, so an interruption loses nothing).
 *
 * @example const password = await currentPassword(dataDir, (p) => `postgres://postgres:${p}@127.0.0.1:54329/postgres`)
 */
export async function currentPassword(
  databaseDir: string,
  urlWith: (password: string) => string,
  log: (line: string) => void = () => {},
): Promise<string> {
  const known = storedPassword(databaseDir)
  if (known !== undefined) return known
  for (const path of [forInitdb(databaseDir), next(databaseDir)]) {
    const left = read(path)
    if (left !== undefined && (await accepted(urlWith(left)))) {
      renameSync(path, stored(databaseDir))
      return left
    }
  }
  if (!(await accepted(urlWith(LEGACY_PASSWORD)))) {
    throw new ConfigError(
      `DATA_DIR: expected ${stored(databaseDir)} to hold the embedded Postgres superuser's password (it is missing, and the old default is refused)`,
    )
  }
  const password = generate()
  writeFileSync(next(databaseDir), `${password}\n`, { mode: 0o600 })
  // Owned like the rest of the data directory (the `postgres` user's when we are root).
  const owner = statSync(databaseDir)
  chownSync(next(databaseDir), owner.uid, owner.gid)
  const sql = postgres(urlWith(LEGACY_PASSWORD), { max: 1, onnotice: () => {} })
  try {
    await sql.unsafe(`alter role current_user password '${password}'`)
  } finally {
    await sql.end({ timeout: 1 })
  }
  renameSync(next(databaseDir), stored(databaseDir))
  log(`embedded Postgres: the superuser's password was the old default; replaced by a random one in ${stored(databaseDir)}`)
  return password
}
