/**
 * Account suspensions end to end on the real servers: an admin suspends through the users
 * module, its event reaches streams through the outbox, and Debian's nginx-rtmp (calling the
 * streams module back) refuses ffmpeg's push or cuts it through its control API.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { pushTestPattern, startIngest, testIngestTools, type RunningIngest } from '../../deploy/ingest/test-ingest.ts'
import { streams } from '../../src/modules/streams/index.ts'
import { users } from '../../src/modules/users/index.ts'
import { publishedEvents } from '../../src/platform/testing/events.ts'
import { createTestPlatform, type TestPlatform } from '../../src/platform/testing/harness.ts'
import { freePort } from '../../src/platform/testing/processes.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { waitFor } from './wait-for.ts'

const tools = testIngestTools('suspensions end to end (nginx-rtmp + ffmpeg)')
const SECRET = 'suspension-ingest-secret-0123456789abcd'
// Updates far apart, so a cut within a second or two is the control API's, not an update's 404.
const UPDATE_INTERVAL_SECONDS = 15

type Account = { id: string; token: string }
let t: TestPlatform
let ingest: RunningIngest
let appUrl: string
let admin: string
let streamer: Account
/** The channel's key, read before the first suspension ends the owner's sessions. */
let key = ''

const register = async (login: string): Promise<Account> => {
  const res = await t.request('/api/auth/register', { method: 'POST', json: { login, email: `${login}@example.test`, password: 'correct horse battery' } })
  const { data } = (await res.json()) as { data: { user_id: string; access_token: string } }
  return { id: data.user_id, token: data.access_token }
}

beforeAll(async () => {
  if (!tools) return
  const controlPort = freePort()
  t = await createTestPlatform([users, streams], {
    STREAMS_INGEST_SECRET: SECRET,
    STREAMS_UPDATE_TIMEOUT_SECONDS: String(UPDATE_INTERVAL_SECONDS * 4),
    STREAMS_RTMP_CONTROL_URL: `http://127.0.0.1:${controlPort}/control`,
  })
  const port = freePort()
  t.platform.serve({ port, hostname: '127.0.0.1' })
  appUrl = `http://127.0.0.1:${port}`
  ingest = await startIngest(tools.nginx, { callbackUrl: appUrl, secret: SECRET, updateInterval: `${UPDATE_INTERVAL_SECONDS}s`, httpPort: controlPort })
  const boss = await register('susp_boss')
  await t.sql.users!`insert into user_roles (user_id, role) values (${boss.id}, 'admin')`
  admin = await accessTokenFor(t, boss.id, ['admin'], { login: 'susp_boss' })
  streamer = await register('susp_streamer')
}, 30_000)
afterAll(async () => {
  await ingest?.stop()
  await t?.close()
}, 30_000)

const live = async () => ((await (await fetch(`${appUrl}/api/streams?user_login=susp_streamer`)).json()) as { data: { id: string }[] }).data[0]
/** The stream key, once the registration has reached streams (through the outbox). */
const streamKey = () =>
  waitFor('the channel in streams', async () => {
    const res = await fetch(`${appUrl}/api/streams/key?broadcaster_id=${streamer.id}`, { headers: { authorization: `Bearer ${streamer.token}` } })
    return res.status === 200 && ((await res.json()) as { data: [{ stream_key: string }] }).data[0].stream_key
  }, 10_000)
/** Whether streams' projection holds the broadcaster suspended, once the users event has arrived. */
const projected = (suspended: boolean) =>
  waitFor(
    `the ${suspended ? 'suspension' : 'reinstatement'} in streams`,
    async () => (await t.sql.streams!`select suspended from suspensions where user_id = ${streamer.id}`)[0]?.suspended === suspended,
    10_000,
  )
const suspension = (method: string, json?: unknown) =>
  fetch(`${appUrl}/api/users/${streamer.id}/suspension`, {
    method,
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: json === undefined ? undefined : JSON.stringify(json),
  })

describe.skipIf(!tools)('suspensions at the real ingest', () => {
  test('a suspended broadcaster’s push is refused and nothing goes live', async () => {
    key = await streamKey()
    expect((await suspension('PUT', { reason: 'Restreaming others’ content' })).status).toBe(200)
    await projected(true)
    const push = pushTestPattern(tools!.ffmpeg, `${ingest.rtmpUrl}/${key}`, 3)
    expect(await push.exited).not.toBe(0)
    expect(await live()).toBeUndefined()
    expect((await t.sql.streams!`select count(*)::int as n from streams where broadcaster_id = ${streamer.id}`)[0]?.n).toBe(0)
  }, 30_000)

  test('suspending a live broadcaster cuts the push at once and the stream goes offline', async () => {
    expect((await suspension('DELETE')).status).toBe(204)
    await projected(false)
    const push = pushTestPattern(tools!.ffmpeg, `${ingest.rtmpUrl}/${key}`, 30)
    const listed = await waitFor('live after the reinstatement', live, 5000)

    const suspendedAt = Date.now()
    expect((await suspension('PUT', { reason: 'Terms of service' })).status).toBe(200)
    expect(await push.exited).not.toBe(0)
    // The outbox, the event's handler and the cut job (0.7 s here), well before nginx-rtmp's next update could have cut it.
    expect(Date.now() - suspendedAt).toBeLessThan(3000)
    await waitFor('offline', async () => !(await live()), 3000)
    const offline = (await publishedEvents(t, streams, { type: 'streams.offline.v1' })).map((e) => e.payload as { stream_id: string; reason: string })
    expect(offline.filter((p) => p.stream_id === listed.id)).toEqual([expect.objectContaining({ reason: 'suspended' })])
    // And it stays refused.
    const again = pushTestPattern(tools!.ffmpeg, `${ingest.rtmpUrl}/${key}`, 3)
    expect(await again.exited).not.toBe(0)
    expect(await live()).toBeUndefined()
  }, 45_000)
})
