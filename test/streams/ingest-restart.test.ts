/**
 * The app restarted mid-stream (real processes: `bun src/main.ts` twice on one port, Debian's
 * nginx-rtmp and ffmpeg): the live session survives in the database, the media server's updates
 * reach the new process, and the recording still becomes a VOD.
 */
import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import postgres from 'postgres'
import { pushTestPattern, startIngest, testIngestTools } from '../../deploy/ingest/test-ingest.ts'
import { createDatabaseFromTemplate } from '../../src/platform/testing/databases.ts'
import { testRedisUrl } from '../../src/platform/testing/harness.ts'
import { freePort, REPO_ROOT, startApp, type AppProcess } from '../../src/platform/testing/processes.ts'
import { waitFor } from './wait-for.ts'

const tools = testIngestTools('streams: the app restarted mid-stream')
const redisUrl = testRedisUrl('streams: the app restarted mid-stream')
const cleanups: (() => unknown)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
}, 30_000)

test.skipIf(!tools || !redisUrl)('the live session survives a restart and its recording becomes a VOD', async () => {
  const [usersDb, streamsDb] = await Promise.all(['users', 'streams'].map((m) => createDatabaseFromTemplate(m, resolve(REPO_ROOT, `migrations/${m}`))))
  cleanups.push(() => usersDb!.drop(), () => streamsDb!.drop())
  const root = mkdtempSync(join(tmpdir(), 'ondes-restart-'))
  cleanups.push(() => rmSync(root, { recursive: true, force: true }))
  const secret = 'restart-secret-0123456789abcdefghijklmno'
  const port = freePort()
  const prefix = `test:restart:${crypto.randomUUID()}`
  const env = {
    MODULES: 'users,streams',
    PORT: String(port),
    USERS_DATABASE_URL: usersDb!.url,
    STREAMS_DATABASE_URL: streamsDb!.url,
    STREAMS_INGEST_SECRET: secret,
    STREAMS_UPDATE_TIMEOUT_SECONDS: '25',
    STREAMS_RECORDING_SETTLED_SECONDS: '3',
    STREAMS_RECORDINGS_DIR: join(root, 'recordings'),
    STREAMS_HLS_DIR: join(root, 'hls'),
    STREAMS_MEDIA_DIR: join(root, 'media'),
    LOG_LEVEL: 'warn',
    DATA_DIR: join(root, 'data'),
    AUTH_ATTEMPTS_PER_MINUTE: '100000',
    // Events through Redis under this test's prefix: other modules may consume users' events too.
    REDIS_URL: redisUrl!,
    EVENTS_STREAM_PREFIX: prefix,
    STREAMS_REDIS_PREFIX: prefix,
  }
  const start = async () => {
    const app = startApp(env)
    cleanups.push(() => app.child.kill('SIGKILL'))
    await app.waitUntilReady()
    return app
  }
  let app: AppProcess = await start()
  const ingest = await startIngest(tools!.nginx, {
    callbackUrl: app.baseUrl,
    secret,
    // nginx-rtmp cuts a publisher whose on_update finds nobody listening (seen with Debian's
    // module, notify_update_strict off): the restart must fall between two updates.
    updateInterval: '8s',
    hlsPath: join(root, 'hls'),
    recordPath: join(root, 'recordings'),
  })
  cleanups.push(() => ingest.stop())

  const registered = await fetch(`${app.baseUrl}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: 'phoenix', email: 'rises@example.test', password: 'Amber-ferret-8812-lamp-oak' }),
  })
  expect(registered.status).toBe(201)
  const { data } = (await registered.json()) as { data: { access_token: string; user_id: string } }
  const key = await waitFor(
    'the channel',
    async () => {
      const res = await fetch(`${app.baseUrl}/api/streams/key?broadcaster_id=${data.user_id}`, { headers: { authorization: `Bearer ${data.access_token}` } })
      return res.ok && ((await res.json()) as { data: [{ stream_key: string }] }).data[0].stream_key
    },
    10_000,
  )
  const live = async () => ((await (await fetch(`${app.baseUrl}/api/streams?user_login=phoenix`)).json()) as { data: { id: string }[] }).data[0]

  const push = pushTestPattern(tools!.ffmpeg, `${ingest.rtmpUrl}/${key}`, 22)
  const before = await waitFor('live', live, 5000)
  const sql = postgres(streamsDb!.url, { max: 1 })
  cleanups.push(() => sql.end())
  const lastUpdate = async () => (await sql<{ at: Date }[]>`select last_update_at as at from streams where id = ${before.id}`)[0]!.at
  const startedAt = await lastUpdate()
  await waitFor('the first update', async () => (await lastUpdate()) > startedAt, 12_000)

  app.child.kill('SIGTERM')
  expect(await app.exited).toBe(0)
  const restartedAt = new Date()
  app = await start()
  expect((await live())?.id).toBe(before.id)
  // The media server's updates reach the new process.
  await waitFor('an update after the restart', async () => (await lastUpdate()) > restartedAt, 12_000)

  expect(await push.exited).toBe(0)
  await waitFor('offline', async () => !(await live()), 5000)
  // The push to the hls application reconnects across the restart (its update_play found nobody
  // too), so the recording may come in two parts: together they hold the whole push.
  type Video = { stream_id: string; duration: string }
  const videos = async () => ((await (await fetch(`${app.baseUrl}/api/videos?user_id=${data.user_id}`)).json()) as { data: Video[] }).data
  const seconds = (list: Video[]) => list.reduce((sum, v) => sum + Number(/^(\d+)s$/.exec(v.duration)?.[1] ?? 0), 0)
  const ready = await waitFor('the VODs of the whole push', async () => {
    const list = await videos()
    return seconds(list) >= 18 && list
  }, 20_000).catch(async (error: Error) => {
    throw new Error(`${error.message}: ${JSON.stringify(await sql`select recording, status, failure, duration_seconds from vods`)}`)
  })
  expect(new Set(ready.map((v) => v.stream_id))).toEqual(new Set([before.id]))
}, 70_000)
