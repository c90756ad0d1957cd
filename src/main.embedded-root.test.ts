/**
 * The embedded default as a root user who cloned into their home directory (mode 700, as
 * /root is): the `postgres` user the server runs as cannot reach the checkout, so its binaries
 * and data go under /var/lib/ondes. Runs a copy of the app, installed there as a user would.
 */
import { afterAll, expect, test } from 'bun:test'
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { dataPlace } from './platform/db/embedded-postgres-root.ts'
import { accepts, freePort, REPO_ROOT, startApp, type AppProcess } from './platform/testing/processes.ts'

const asRoot = process.getuid?.() === 0
if (!asRoot) console.warn('SKIPPED (not root): the embedded default as root from a home directory')

const home = mkdtempSync('/tmp/ondes-root-home-')
chmodSync(home, 0o700)
const checkout = resolve(home, 'ondes')
const place = dataPlace(resolve(checkout, '.data/postgres'))
const env = { PORT: String(freePort()), EMBEDDED_POSTGRES_PORT: String(freePort()), LOG_LEVEL: 'info' }
const postgresPort = Number(env.EMBEDDED_POSTGRES_PORT)

let app: AppProcess | undefined
afterAll(async () => {
  app?.child.kill('SIGKILL')
  // Should the run have been killed, its Postgres would hold the directory: stop it by its pid file.
  const pidFile = resolve(place, 'postgres/postmaster.pid')
  if (existsSync(pidFile)) {
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8').split('\n')[0]), 'SIGINT')
    } catch {}
    for (let i = 0; i < 50 && (await accepts(postgresPort)); i++) await Bun.sleep(100)
  }
  rmSync(place, { recursive: true, force: true })
  rmSync(home, { recursive: true, force: true })
}, 15_000)

test.skipIf(!asRoot)(
  'root, a checkout in a mode-700 home, nothing configured: bun install && bun start serves, and stops with its Postgres',
  async () => {
    for (const path of ['package.json', 'bun.lock', 'bunfig.toml', 'tsconfig.json', 'patches', 'src', 'migrations']) {
      cpSync(resolve(REPO_ROOT, path), resolve(checkout, path), { recursive: true })
    }
    const install = Bun.spawnSync([process.execPath, 'install', '--frozen-lockfile'], { cwd: checkout, stderr: 'pipe' })
    expect(install.exitCode, install.stderr.toString()).toBe(0)

    app = startApp(env, 'src/main.ts', checkout)
    await app.waitUntilReady(90_000)
    const registered = await fetch(`${app.baseUrl}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'root_home', email: 'root@example.test', password: 'correct horse battery' }),
    })
    expect(registered.status).toBe(201)

    // The data went where the postgres user reaches it; the home directory was not opened up.
    expect(statSync(resolve(place, 'postgres')).uid).not.toBe(0)
    expect(readFileSync(resolve(place, 'checkout'), 'utf8').trim()).toBe(resolve(checkout, '.data/postgres'))
    expect(statSync(home).mode & 0o777).toBe(0o700)

    app.child.kill('SIGTERM')
    expect(await app.exited).toBe(0)
    expect(await accepts(postgresPort)).toBe(false)
    expect(existsSync(resolve(place, 'postgres/postmaster.pid'))).toBe(false)
  },
  180_000,
)
