import { afterAll, describe, expect, test } from 'bun:test'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { resolve } from 'node:path'
import postgres from 'postgres'
import { buildDatabases } from '../test/build-databases.ts'
import { accepts, freePort, halfSentRequest, startApp, type AppProcess } from './platform/testing/processes.ts'

const cleanups: (() => unknown)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function dataDir(): string {
  const dir = mkdtempSync(resolve(tmpdir(), 'ondes-main-'))
  chmodSync(dir, 0o755)
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

function started(app: AppProcess): AppProcess {
  cleanups.push(() => app.child.kill('SIGKILL'))
  return app
}

describe('bun src/main.ts', () => {
  test('SIGTERM: stops accepting, finishes the request in flight, exits 0', async () => {
    // Every module of the build: those consuming users' events must run beside it without Redis.
    const build = await buildDatabases()
    cleanups.push(build.drop)
    const port = freePort()
    const app = started(startApp({ ...build.env, PORT: String(port), LOG_LEVEL: 'info', DATA_DIR: dataDir() }))
    await app.waitUntilReady()

    const login = `slow_${crypto.randomUUID().slice(0, 8)}`
    const inFlight = halfSentRequest(
      port,
      '/api/auth/register',
      JSON.stringify({ login, email: `${login}@example.test`, password: 'correct horse battery staple' }),
    )
    // Let the server take the request in (headers and half the body) before the signal.
    await Bun.sleep(300)
    app.child.kill('SIGTERM')
    await app.waitForLine(/shutting down/)

    // No new connections from here on, while the request in flight still holds the process.
    let refused = false
    for (let i = 0; i < 50 && !refused; i++) {
      refused = !(await accepts(port))
      if (!refused) await Bun.sleep(20)
    }
    expect(refused).toBe(true)
    expect(app.child.exitCode).toBeNull()

    inFlight.finish()
    const { status, body } = await inFlight.response
    expect(status).toBe(201)
    expect(body).toMatchObject({ data: { login, token_type: 'bearer' } })
    expect(await app.exited).toBe(0)
    expect(app.stdout.join('\n')).toContain('"msg":"stopped"')

    // The request's writes were committed before the pools closed.
    const sql = postgres(build.urls.users!, { max: 1, onnotice: () => {} })
    expect(await sql`select login from users where login = ${login}`.finally(() => sql.end())).toHaveLength(1)
  }, 60_000)

  test('an unknown module stops start-up: exit 1 and one stderr line naming MODULES', async () => {
    const app = started(startApp({ MODULES: 'users,nope', PORT: String(freePort()), DATA_DIR: dataDir() }))
    expect(await app.exited).toBe(1)
    const lines = app.stderr.filter((line) => line.trim() !== '')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('MODULES')
    expect(lines[0]).toContain('nope')
    expect(app.stdout.filter((line) => line.trim() !== '')).toEqual([])
  })

  test('an unreachable module database stops start-up with exit 1', async () => {
    const app = started(
      startApp({
        // Users alone, with a Redis URL nothing is asked of before its database fails.
        MODULES: 'users',
        REDIS_URL: 'redis://127.0.0.1:1',
        PORT: String(freePort()),
        USERS_DATABASE_URL: `postgres://postgres@127.0.0.1:${freePort()}/users_db`,
        DATA_DIR: dataDir(),
      }),
    )
    expect(await app.exited).toBe(1)
    expect(app.stderr.join('\n')).toContain('failed to start')
  }, 30_000)
})
