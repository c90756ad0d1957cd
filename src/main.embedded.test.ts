import { afterAll, expect, test } from 'bun:test'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { resolve } from 'node:path'
import postgres from 'postgres'
import { MODULE_NAMES } from './platform/config.ts'
import { accepts, freePort, halfSentRequest, startApp, type AppProcess } from './platform/testing/processes.ts'

// Postgres runs as the `postgres` user when we are root: the data directory must be reachable by it.
const dataDir = mkdtempSync('/tmp/ondes-embedded-')
chmodSync(dataDir, 0o755)
const env = { PORT: String(freePort()), EMBEDDED_POSTGRES_PORT: String(freePort()), DATA_DIR: dataDir, LOG_LEVEL: 'info' }
const postgresPort = Number(env.EMBEDDED_POSTGRES_PORT)
const adminUrl = `postgres://postgres:ondes@127.0.0.1:${postgresPort}/postgres`

const running: AppProcess[] = []
afterAll(async () => {
  for (const app of running) app.child.kill('SIGKILL')
  // Should a run have been killed, its Postgres would hold the directory: stop it by its pid file.
  const pidFile = resolve(dataDir, 'postgres/postmaster.pid')
  if (existsSync(pidFile)) {
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8').split('\n')[0]), 'SIGINT')
    } catch {}
    for (let i = 0; i < 50 && (await accepts(postgresPort)); i++) await Bun.sleep(100)
  }
  rmSync(dataDir, { recursive: true, force: true })
}, 15_000)

/** `bun src/main.ts` with no database URL at all, until /readyz is 200. */
async function start(): Promise<AppProcess> {
  const app = startApp(env)
  running.push(app)
  await app.waitUntilReady(90_000)
  return app
}

/** After SIGTERM: exit 0, and the embedded Postgres gone with the app. */
async function stopped(app: AppProcess): Promise<void> {
  expect(await app.exited).toBe(0)
  expect(await accepts(postgresPort)).toBe(false)
  expect(existsSync(resolve(dataDir, 'postgres/postmaster.pid'))).toBe(false)
}

const json = (app: AppProcess, path: string, init: RequestInit & { json?: unknown; token?: string } = {}) =>
  fetch(`${app.baseUrl}${path}`, {
    ...init,
    keepalive: false,
    headers: {
      ...(init.json === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  })

test('nothing configured: embedded Postgres, five databases, data and keys kept across restarts', async () => {
  const first = await start()
  expect(first.stdout.join('\n')).toMatch(/Ondes listening on http:\/\/.*embedded Postgres.*SIGTERM stops it/)
  expect(postgresPort).not.toBe(5432)

  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  try {
    const names = (await admin<{ datname: string }[]>`select datname from pg_database`).map((row) => row.datname)
    expect(names).toEqual(expect.arrayContaining(MODULE_NAMES.map((module) => `${module}_db`)))
  } finally {
    await admin.end()
  }

  // Sign up with a request still in flight when SIGTERM comes: the embedded Postgres must
  // outlive it, and stop only with the app.
  const credentials = { login: 'embedded_one', password: 'correct horse battery staple' }
  const registration = halfSentRequest(
    Number(env.PORT),
    '/api/auth/register',
    JSON.stringify({ ...credentials, email: 'one@example.test' }),
  )
  await Bun.sleep(300)
  first.child.kill('SIGTERM')
  await first.waitForLine(/shutting down/)
  await Bun.sleep(200)
  registration.finish()
  const registered = await registration.response
  expect(registered.status).toBe(201)
  const { access_token } = (registered.body as { data: { access_token: string } }).data
  const publicKey = readFileSync(resolve(dataDir, 'keys/jwt-ed25519.pub.pem'), 'utf8')
  await stopped(first)

  const second = await start()
  // The account survived, and so did the signing keys: the first run's token still works.
  const me = await json(second, '/api/users/me', { token: access_token })
  expect(me.status).toBe(200)
  expect(((await me.json()) as { data: { login: string } }).data.login).toBe(credentials.login)
  expect((await json(second, '/api/auth/login', { method: 'POST', json: credentials })).status).toBe(200)
  expect(readFileSync(resolve(dataDir, 'keys/jwt-ed25519.pub.pem'), 'utf8')).toBe(publicKey)
  second.child.kill('SIGTERM')
  await stopped(second)
}, 180_000)
