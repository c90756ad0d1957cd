import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { resolve } from 'node:path'
import postgres from 'postgres'
import { buildDatabases } from './build-databases.ts'
import { freePort, startApp, type AppProcess } from '../src/platform/testing/processes.ts'

// What must never reach a log line, whatever fails.
const PASSWORD = 'quiet violet lantern 42'
const EMAIL = 'log.secret@example.test'
const FORCED_EMAIL = 'forced.secret@example.test'
const FORCED_DESCRIPTION = 'forced failure'
const INGEST_SECRET = `ingest_${crypto.randomUUID().replaceAll('-', '')}`

const cleanups: (() => unknown)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

let app: AppProcess
const issued: string[] = []
beforeAll(async () => {
  // Every module of the build in one process, as `bun start` runs them: every module's logging.
  const build = await buildDatabases()
  cleanups.push(build.drop)
  // Real statement failures that carry values: Postgres quotes the failing row (email, hash) in
  // its detail, drizzle lists the parameters in its message.
  const sql = postgres(build.urls.users!, { max: 1, onnotice: () => {} })
  await sql.unsafe(`alter table users add constraint forced_failure check (login <> 'forced_failure' and description <> '${FORCED_DESCRIPTION}')`)
  await sql.end()
  const dataDir = mkdtempSync(resolve(tmpdir(), 'ondes-log-'))
  chmodSync(dataDir, 0o755)
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
  app = startApp({ ...build.env, PORT: String(freePort()), LOG_LEVEL: 'debug', DATA_DIR: dataDir, AUTH_ATTEMPTS_PER_MINUTE: '1000', REFRESH_RETRY_WINDOW_SECONDS: '0', STREAMS_INGEST_SECRET: INGEST_SECRET, STREAMS_KEY_SECRET: `key_${crypto.randomUUID()}` })
  cleanups.push(() => app.child.kill('SIGKILL'))
  await app.waitUntilReady()
}, 60_000)

const post = (path: string, body: unknown, token?: string, method = 'POST') =>
  fetch(`${app.baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })

type Pair = { data: { access_token: string; refresh_token: string } }
const keep = async (res: Response): Promise<Pair['data']> => {
  const { data } = (await res.json()) as Pair
  issued.push(data.access_token, data.refresh_token)
  return data
}

describe('what the process logs, at debug level, on every error path', () => {
  test('carries no password, hash, token or email', async () => {
    const statuses: Record<string, number> = {}
    const seen = async (name: string, res: Response | Promise<Response>) => {
      const answer = await res
      statuses[name] = answer.status
      return answer
    }
    const registered = await seen('register', post('/api/auth/register', { login: 'log_secret', email: EMAIL, password: PASSWORD }))
    const first = await keep(registered)
    // NUL in a text field: once a database error carrying the email and the hash.
    for (const field of ['display_name', 'login', 'email', 'password']) {
      const body = { login: 'log_nul', email: 'nul@example.test', password: PASSWORD, display_name: 'Log_Nul' }
      await seen(`nul ${field}`, post('/api/auth/register', { ...body, [field]: `${body[field as keyof typeof body]}\u0000` }))
    }
    await seen('forced insert', post('/api/auth/register', { login: 'forced_failure', email: FORCED_EMAIL, password: PASSWORD }))
    await seen('forced update', post('/api/users/me', { description: FORCED_DESCRIPTION }, first.access_token, 'PATCH'))
    await seen('nul description', post('/api/users/me', { description: `a\u0000${EMAIL}` }, first.access_token, 'PATCH'))
    await seen('nul lookup', fetch(`${app.baseUrl}/api/users?login=%00${encodeURIComponent(EMAIL)}`))
    await seen('bad json', post('/api/auth/login', `{"login":"log_secret","password":"${PASSWORD}"`))
    await seen('wrong password', post('/api/auth/login', { login: 'log_secret', password: `${PASSWORD}!` }))
    await seen('login by email', post('/api/auth/login', { login: EMAIL, password: PASSWORD }))
    const second = await keep(await seen('login', post('/api/auth/login', { login: 'log_secret', password: PASSWORD })))
    await seen('garbage token', post('/api/users/me', { description: 'x' }, 'a.b.c', 'PATCH'))
    await seen('forged token', post('/api/users/me', { description: 'x' }, `${second.access_token.slice(0, -4)}AAAA`, 'PATCH'))
    const rotated = await keep(await seen('refresh', post('/api/auth/refresh', { refresh_token: second.refresh_token })))
    await seen('refresh reuse', post('/api/auth/refresh', { refresh_token: second.refresh_token }))
    await seen('revoked refresh', post('/api/auth/refresh', { refresh_token: rotated.refresh_token }))
    await seen('logout', post('/api/auth/logout', { refresh_token: first.refresh_token }, first.access_token))

    // Streams: the ingest secret travels in the callback's path, the stream key in its form.
    const third = await keep(await seen('login again', post('/api/auth/login', { login: 'log_secret', password: PASSWORD })))
    const userId = (JSON.parse(atob(third.access_token.split('.')[1]!)) as { sub: string }).sub
    let streamKey: string | undefined
    // The channel exists once streams has handled users.registered.v1.
    for (let i = 0; i < 50 && !streamKey; i++) {
      const res = await fetch(`${app.baseUrl}/api/streams/key?broadcaster_id=${userId}`, { headers: { authorization: `Bearer ${third.access_token}` } })
      if (res.status === 200) streamKey = ((await res.json()) as { data: { stream_key: string }[] }).data[0]!.stream_key
      else await Bun.sleep(100)
    }
    expect(streamKey).toStartWith('live_')
    issued.push(streamKey!, INGEST_SECRET)
    const callback = (secret: string, name: string) =>
      fetch(`${app.baseUrl}/api/ingest/rtmp/${secret}/publish`, {
        method: 'POST',
        body: new URLSearchParams({ call: 'publish', name, clientid: '7', app: 'live' }),
        redirect: 'manual',
      })
    await seen('publish', callback(INGEST_SECRET, streamKey!))
    await seen('publish again', callback(INGEST_SECRET, streamKey!))
    await seen('publish, wrong key', callback(INGEST_SECRET, `${streamKey!.slice(0, -2)}xx`))
    await seen('publish, wrong secret', callback(`${INGEST_SECRET}x`, streamKey!))

    await Bun.sleep(200)
    const lines = [...app.stdout, ...app.stderr]

    const secrets = [PASSWORD, EMAIL, FORCED_EMAIL, '$argon2', 'eyJ', 'ort_', ...issued]
    const leaks = lines.filter((line) => secrets.some((secret) => line.includes(secret)))
    expect(leaks).toEqual([])

    // Each path ran as intended: the forced failures are 500s the log must describe.
    expect(statuses).toMatchObject({ register: 201, login: 200, refresh: 200, publish: 302, 'forced insert': 500, 'forced update': 500 })
    expect(statuses['refresh reuse']).toBe(401)
    for (const name of ['nul display_name', 'nul login', 'nul email', 'nul description', 'nul lookup', 'bad json']) {
      expect(statuses[name]).toBe(400)
    }
    expect(lines.filter((line) => line.includes('"unhandled error"'))).toHaveLength(2)
    expect(lines.filter((line) => line.includes('"msg":"request"')).length).toBeGreaterThanOrEqual(Object.keys(statuses).length)
  }, 60_000)
})
