/**
 * Postgres refuses to run as root, so as root the embedded server runs as the `postgres`
 * system user, which must reach its binaries and its data directory. A checkout in a root home
 * directory (mode 700: /root) is out of its reach; then both are placed in a root-owned 0755
 * directory, /var/lib/ondes, and nothing of the user's home is opened up.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, parse, resolve } from 'node:path'
import { ConfigError } from '../config.ts'

/** Where the embedded server's binaries and data go when the `postgres` user cannot reach the project's. */
export const ROOT_PLACE = '/var/lib/ondes'

export type ServerUser = { uid: number; gid: number }

const id = (flag: '-u' | '-g') => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim())

/** The `postgres` system user, created (without a home or a shell) if missing. */
export function postgresUser(): ServerUser {
  try {
    return { uid: id('-u'), gid: id('-g') }
  } catch {
    execFileSync('groupadd', ['--system', 'postgres'])
    execFileSync('useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'])
    return { uid: id('-u'), gid: id('-g') }
  }
}

/** Whether `user` may traverse every directory down to `path` (owner, group, other bits; no ACLs). */
export function reachable(path: string, user: ServerUser): boolean {
  for (let dir = dirname(resolve(path)); ; dir = dirname(dir)) {
    if (existsSync(dir)) {
      const { mode, uid, gid } = statSync(dir)
      const bit = uid === user.uid ? 0o100 : gid === user.gid ? 0o010 : 0o001
      if ((mode & bit) === 0) return false
    }
    if (dir === parse(dir).root) return true
  }
}

/** A root-owned directory no one else may write to, created 0755 if missing; refused otherwise. */
function rootOwned(path: string): string {
  mkdirSync(path, { recursive: true, mode: 0o755 })
  const { uid, mode } = statSync(path)
  if (uid !== 0 || (mode & 0o022) !== 0) {
    throw new ConfigError(`DATA_DIR: expected ${path} to be root's and writable by root only (it holds the embedded Postgres binaries), got owner ${uid}, mode ${(mode & 0o777).toString(8)}`)
  }
  chmodSync(path, 0o755)
  return path
}

/**
 * The binaries directory (`bin/`, `lib/`, `share/` side by side, as postgres finds them) the
 * user can run: the package's own, or a root-owned copy per package version, made once.
 */
export function reachableBinaries(native: string, version: string, user: ServerUser): string {
  if (reachable(resolve(native, 'bin/postgres'), user)) return native
  const place = resolve(rootOwned(ROOT_PLACE), `postgres-${version}-${process.platform}-${process.arch}`)
  if (existsSync(resolve(place, 'bin/postgres'))) return place
  // Copied aside, then renamed: a process starting beside us never sees half a copy.
  const partial = `${place}.partial-${process.pid}`
  cpSync(native, partial, { recursive: true, verbatimSymlinks: true })
  try {
    renameSync(partial, place)
  } catch (error) {
    rmSync(partial, { recursive: true, force: true })
    if (!existsSync(resolve(place, 'bin/postgres'))) throw error
  }
  return place
}

/** The directory under ROOT_PLACE that holds the data of `databaseDir` when the user cannot reach it. */
export const dataPlace = (databaseDir: string) =>
  resolve(ROOT_PLACE, `data-${createHash('sha256').update(resolve(databaseDir)).digest('hex').slice(0, 16)}`)

/**
 * The data directory the user can own: `databaseDir` itself, or one under ROOT_PLACE keyed by
 * its path (so each checkout keeps its own data across restarts). Owned by the user, 0700.
 */
export function reachableDataDir(databaseDir: string, user: ServerUser): string {
  let dir = databaseDir
  if (!reachable(databaseDir, user)) {
    rootOwned(ROOT_PLACE)
    const place = rootOwned(dataPlace(databaseDir))
    // Says whose data this is, for whoever cleans /var/lib/ondes up.
    writeFileSync(resolve(place, 'checkout'), `${databaseDir}\n`)
    dir = resolve(place, 'postgres')
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  chownSync(dir, user.uid, user.gid)
  return dir
}

/** The package version of the binaries in `native` (its package.json is one level up). */
export function binariesVersion(native: string): string {
  return (JSON.parse(readFileSync(resolve(native, '../package.json'), 'utf8')) as { version: string }).version
}
