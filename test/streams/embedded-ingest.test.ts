/**
 * `bun start`'s embedded ingest, tried as a new user would (real processes: `bun src/main.ts`,
 * Debian's nginx-rtmp started by it, ffmpeg): start-up prints where OBS publishes, a push there
 * with the channel's key is live in the directory, a key reset cuts it through the embedded
 * control API, and nginx-rtmp stops with the app. Without nginx-rtmp, start-up says in one line
 * how to get live ingest and serves on.
 */
import { afterAll, expect, test } from 'bun:test'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pushTestPattern, testIngestTools } from '../../deploy/ingest/test-ingest.ts'
import { INGEST_HINT } from '../../src/modules/streams/embedded-ingest.ts'
import { accepts, freePort, startApp, type AppProcess } from '../../src/platform/testing/processes.ts'
import { buildDatabases } from '../build-databases.ts'
import { waitFor } from './wait-for.ts'

const tools = testIngestTools('bun start with the embedded nginx-rtmp')
const cleanups: (() => unknown)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
}, 30_000)

/** `bun src/main.ts` on fresh databases, its media under a directory of its own, until ready. */
async function start(env: Record<string, string> = {}): Promise<AppProcess> {
  const build = await buildDatabases()
  cleanups.push(build.drop)
  const root = mkdtempSync(join(tmpdir(), 'ondes-embedded-ingest-'))
  chmodSync(root, 0o755)
  cleanups.push(() => rmSync(root, { recursive: true, force: true }))
  const app = startApp({
    ...build.env,
    PORT: String(freePort()),
    LOG_LEVEL: 'info',
    DATA_DIR: join(root, 'data'),
    STREAMS_HLS_DIR: join(root, 'hls'),
    STREAMS_RECORDINGS_DIR: join(root, 'recordings'),
    STREAMS_MEDIA_DIR: join(root, 'media'),
    ...env,
  })
  cleanups.push(() => app.child.kill('SIGKILL'))
  await app.waitUntilReady(60_000)
  return app
}

const messages = (app: AppProcess) => app.stdout.flatMap((line) => (line.startsWith('{') ? [(JSON.parse(line) as { msg: string }).msg] : []))

test.skipIf(!tools)('bun start runs nginx-rtmp: ffmpeg pushes to the printed URL with the key, and the stream is live', async () => {
  // A port of the test's own rather than 1935, which another run on this machine may hold.
  const rtmpPort = freePort()
  // A short timeout: the embedded nginx-rtmp updates a few times within it (every 2 s here).
  const app = await start({ STREAMS_RTMP_PORT: String(rtmpPort), STREAMS_UPDATE_TIMEOUT_SECONDS: '6' })
  const printed = messages(app).find((msg) => msg.startsWith('live ingest: nginx-rtmp started'))
  expect(printed).toContain('stream key: GET /api/streams/key')
  const rtmpUrl = /Server (rtmp:\/\/\S+),/.exec(printed ?? '')?.[1]
  expect(rtmpUrl).toBe(`rtmp://127.0.0.1:${rtmpPort}/ingest`)
  expect(messages(app)).not.toContain(INGEST_HINT)

  const registered = await fetch(`${app.baseUrl}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: 'obs_newcomer', email: 'obs@example.test', password: 'correct horse battery staple' }),
  })
  expect(registered.status).toBe(201)
  const { access_token: token, user_id: userId } = ((await registered.json()) as { data: { access_token: string; user_id: string } }).data
  const auth = { authorization: `Bearer ${token}` }
  // The channel is made from users' registration event, a moment later.
  const key = await waitFor(
    'the stream key',
    async () => {
      const res = await fetch(`${app.baseUrl}/api/streams/key?broadcaster_id=${userId}`, { headers: auth })
      return res.ok && ((await res.json()) as { data: [{ stream_key: string }] }).data[0].stream_key
    },
    10_000,
  )

  const push = pushTestPattern(tools!.ffmpeg, `${rtmpUrl}/${key}`, 30)
  cleanups.push(() => push.stop())
  const live = await waitFor(
    'live in GET /api/streams',
    async () => ((await (await fetch(`${app.baseUrl}/api/streams?user_login=obs_newcomer`)).json()) as { data: { type: string; user_id: string }[] }).data[0],
    10_000,
  )
  expect(live).toMatchObject({ type: 'live', user_id: userId })
  // Past the timeout, the updates keep it live.
  await Bun.sleep(8000)
  expect(((await (await fetch(`${app.baseUrl}/api/streams?user_login=obs_newcomer`)).json()) as { data: unknown[] }).data).toHaveLength(1)

  // A reset key cuts the push at once, through the embedded nginx-rtmp's control API (its
  // updates come every 30 s: a cut by update would not be this quick).
  const reset = await fetch(`${app.baseUrl}/api/streams/key/reset?broadcaster_id=${userId}`, { method: 'POST', headers: auth })
  expect(reset.status).toBe(200)
  const cutWithin = Date.now()
  await push.exited
  expect(Date.now() - cutWithin).toBeLessThan(5000)
  expect(((await (await fetch(`${app.baseUrl}/api/streams?user_login=obs_newcomer`)).json()) as { data: unknown[] }).data).toEqual([])

  // nginx-rtmp stops with the app.
  app.child.kill('SIGTERM')
  expect(await app.exited).toBe(0)
  expect(await accepts(rtmpPort)).toBe(false)
}, 120_000)

test.skipIf(!tools)('the app killed (SIGKILL, no shutdown): its nginx-rtmp goes with it, freeing the RTMP port', async () => {
  const rtmpPort = freePort()
  const app = await start({ STREAMS_RTMP_PORT: String(rtmpPort) })
  expect(await accepts(rtmpPort)).toBe(true)
  app.child.kill('SIGKILL')
  await app.exited
  await waitFor('the RTMP port freed', async () => !(await accepts(rtmpPort)), 5000)
}, 60_000)

test('without nginx-rtmp, start-up says in one line how to get live ingest, and serves', async () => {
  const app = await start({ STREAMS_NGINX: '/nonexistent/nginx' })
  expect(messages(app).filter((msg) => msg.includes('live ingest'))).toEqual([INGEST_HINT])
  expect(app.stderr.filter((line) => line.trim() !== '')).toEqual([])
  expect((await fetch(`${app.baseUrl}/api/streams`)).status).toBe(200)
  app.child.kill('SIGTERM')
  expect(await app.exited).toBe(0)
}, 60_000)
