/**
 * Stream keys never reach a log: the real app (`bun src/main.ts`, users + streams) at
 * LOG_LEVEL=debug reads, uses, mistypes and resets a key through its routes and the media
 * server's callbacks, and nothing it printed contains the key.
 */
import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { resolve } from 'node:path'
import { createDatabaseFromTemplate } from '../../src/platform/testing/databases.ts'
import { testRedisUrl } from '../../src/platform/testing/harness.ts'
import { freePort, REPO_ROOT, startApp } from '../../src/platform/testing/processes.ts'

const redisUrl = testRedisUrl('stream keys in the logs of a real app process')

const cleanups: (() => unknown)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
}, 30_000)

// Users and streams alone need Redis: chat, subscriptions and analytics consume users' events elsewhere.
test.skipIf(!redisUrl)('no key, nor its random part, in anything the app printed', async () => {
  const [usersDb, streamsDb] = await Promise.all(
    ['users', 'streams'].map((m) => createDatabaseFromTemplate(m, resolve(REPO_ROOT, `migrations/${m}`))),
  )
  cleanups.push(() => usersDb!.drop(), () => streamsDb!.drop())
  const dataDir = mkdtempSync(resolve(tmpdir(), 'ondes-keys-'))
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
  const secret = 'logging-secret-0123456789abcdefghijklmn'
  const port = freePort()
  const app = startApp({
    MODULES: 'users,streams',
    PORT: String(port),
    USERS_DATABASE_URL: usersDb!.url,
    STREAMS_DATABASE_URL: streamsDb!.url,
    STREAMS_INGEST_SECRET: secret,
    LOG_LEVEL: 'debug',
    // The shared Redis keeps per-address counts across runs of this test.
    AUTH_ATTEMPTS_PER_MINUTE: '100000',
    DATA_DIR: dataDir,
    // Events through Redis, under a prefix of this test's: other modules may consume users' events too.
    ...(redisUrl ? { REDIS_URL: redisUrl, EVENTS_STREAM_PREFIX: `test:key-logging:${crypto.randomUUID()}`, STREAMS_REDIS_PREFIX: `test:key-logging:${crypto.randomUUID()}` } : {}),
  })
  cleanups.push(() => app.child.kill('SIGKILL'))
  await app.waitUntilReady()
  const api = (path: string, init: RequestInit = {}) => fetch(`${app.baseUrl}${path}`, init)

  const registered = await api('/api/auth/register', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: 'quiet_one', email: 'quiet@example.test', password: 'Amber-ferret-8812-lamp-oak' }),
  })
  const body = await registered.text()
  if (registered.status !== 201) throw new Error(`register: ${registered.status} ${body}`)
  const { data } = JSON.parse(body) as { data: { access_token: string; user_id: string } }
  const auth = { authorization: `Bearer ${data.access_token}` }
  let key = ''
  for (const deadline = Date.now() + 5000; !key && Date.now() < deadline; await Bun.sleep(50)) {
    const res = await api(`/api/streams/key?broadcaster_id=${data.user_id}`, { headers: auth })
    if (res.ok) key = ((await res.json()) as { data: [{ stream_key: string }] }).data[0].stream_key
  }
  expect(key).toStartWith('live_')
  const callback = (path: string, name: string) =>
    api(`/api/ingest/rtmp/${secret}/${path}`, {
      method: 'POST',
      // nginx-rtmp reads the 302, it does not follow it.
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ call: path === 'update' ? 'update_publish' : path, name, clientid: '3', app: 'ingest' }).toString(),
    })
  expect((await callback('publish', key)).status).toBe(302)
  expect((await callback('update', key)).status).toBe(200)
  expect((await callback('publish', key)).status).toBe(409)
  expect((await callback('publish', `${key.slice(0, -2)}xx`)).status).toBe(403)
  const reset = await api(`/api/streams/key/reset?broadcaster_id=${data.user_id}`, { method: 'POST', headers: auth })
  const fresh = ((await reset.json()) as { data: [{ stream_key: string }] }).data[0].stream_key
  expect((await callback('update', key)).status).toBe(404)
  expect((await callback('publish_done', key)).status).toBe(200)
  expect((await callback('publish', fresh)).status).toBe(302)

  app.child.kill('SIGTERM')
  await app.exited
  const printed = [...app.stdout, ...app.stderr].join('\n')
  // The debug log did record the requests, so the test reads a log that could have held keys.
  expect(printed).toContain('/api/streams/key')
  for (const k of [key, fresh]) {
    expect(printed).not.toContain(k)
    expect(printed).not.toContain(k.slice(-43))
  }
}, 30_000)
