/**
 * MediaMTX's hooks with requests as MediaMTX sends them (it is not in Debian's registry here, so
 * these are recorded shapes, not a live server): the auth hook's JSON, the runOnAvailable /
 * runOnUnavailable curl posts of deploy/ingest/mediamtx.yml, and its v3 API (kick, paths).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { streams } from '../../src/modules/streams/index.ts'
import { users } from '../../src/modules/users/index.ts'
import { problemType } from '../../src/platform/http/problem.ts'
import { deliver } from '../../src/platform/testing/events.ts'
import { createTestPlatform, type TestPlatform } from '../../src/platform/testing/harness.ts'
import { addBroadcaster, streamKeyOf, type Broadcaster } from './broadcasters.ts'

const SECRET = 'mediamtx-secret-0123456789abcdefghijklm'
let t: TestPlatform
let ada: Broadcaster
let bob: Broadcaster
beforeAll(async () => {
  t = await createTestPlatform([users, streams], { STREAMS_INGEST_SECRET: SECRET })
  ada = await addBroadcaster(t, '901', 'mtx_ada')
  bob = await addBroadcaster(t, '902', 'mtx_bob')
}, 30_000)
afterAll(() => t.close(), 30_000)

const SOURCE_ID = '4f6a1c2e-9d3b-4b8e-a1f0-2c5d7e9b3a11'
/** The users event of an indefinite suspension, handled by streams. */
const suspendAt = async (platform: TestPlatform, who: Broadcaster, version: number) => {
  const payload = { user_id: who.id, reason: 'Terms of service', ends_at: null, by_user_id: '1', version }
  expect((await deliver(platform, streams, 'users.suspended.v1', payload)).outcome).toEqual({ status: 'handled' })
}
const auth = (action: string, path: string, query: string, secret = SECRET) =>
  t.request(`/api/ingest/mediamtx/${secret}/auth`, {
    method: 'POST',
    json: { user: '', password: '', token: '', ip: '192.0.2.7', action, path, protocol: 'rtmp', id: SOURCE_ID, query },
  })
// curl --data-urlencode, as the runOnAvailable / runOnUnavailable hooks send it.
const hook = (name: string, path: string, query: string) =>
  t.request(`/api/ingest/mediamtx/${SECRET}/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ path, query, id: SOURCE_ID }).toString(),
  })
// Filtered by login: the unfiltered front page may be a second old.
const liveLogins = async () =>
  ((await (await t.request('/api/streams?user_login=mtx_ada&user_login=mtx_bob')).json()) as { data: { user_login: string }[] }).data.map((s) => s.user_login)

describe('MediaMTX hooks', () => {
  test('publish to the login with its key is allowed; another key, another path or no key is not; reads are open', async () => {
    const key = await streamKeyOf(t, ada)
    expect((await auth('publish', 'mtx_ada', `key=${encodeURIComponent(key)}`)).status).toBe(200)
    expect((await auth('publish', 'mtx_bob', `key=${encodeURIComponent(key)}`)).status).toBe(403)
    expect((await auth('publish', 'mtx_ada', `key=${encodeURIComponent(await streamKeyOf(t, bob))}`)).status).toBe(403)
    expect((await auth('publish', 'mtx_ada', '')).status).toBe(403)
    expect((await auth('read', 'mtx_ada', '')).status).toBe(200)
    expect((await auth('playback', 'mtx_ada', '')).status).toBe(200)
    expect((await auth('api', '', '')).status).toBe(403)
    expect((await auth('publish', 'mtx_ada', `key=${encodeURIComponent(key)}`, 'wrong-secret')).status).toBe(403)
    expect(await liveLogins()).toEqual([])
  })

  test('a suspended broadcaster’s publish is refused by the auth hook and by runOnAvailable; reinstated, allowed', async () => {
    const query = `key=${encodeURIComponent(await streamKeyOf(t, bob))}`
    await suspendAt(t, bob, 2)
    const refused = await auth('publish', 'mtx_bob', query)
    expect(refused.status).toBe(403)
    expect(((await refused.json()) as { type: string }).type).toBe(problemType('broadcaster.suspended'))
    expect((await hook('ready', 'mtx_bob', query)).status).toBe(403)
    expect(await liveLogins()).toEqual([])
    expect((await deliver(t, streams, 'users.reinstated.v1', { user_id: bob.id, by_user_id: '1', version: 3 })).outcome.status).toBe('handled')
    expect((await auth('publish', 'mtx_bob', query)).status).toBe(200)
  })

  test('runOnAvailable makes the login live; runOnUnavailable ends it; a second publisher is refused', async () => {
    const query = `key=${encodeURIComponent(await streamKeyOf(t, ada))}`
    expect((await hook('ready', 'mtx_ada', query)).status).toBe(200)
    expect(await liveLogins()).toEqual(['mtx_ada'])
    expect((await hook('ready', 'mtx_ada', query)).status).toBe(409)
    expect((await hook('not_ready', 'mtx_ada', query)).status).toBe(200)
    expect(await liveLogins()).toEqual([])
    expect((await hook('ready', 'mtx_ada', 'key=live_901_nope')).status).toBe(403)
  })

  test('the shipped config points every hook at these routes', () => {
    const config = readFileSync(resolve(import.meta.dir, '../../deploy/ingest/mediamtx.yml'), 'utf8')
    for (const path of ['/api/ingest/mediamtx/SECRET/auth', '/api/ingest/mediamtx/SECRET/ready', '/api/ingest/mediamtx/SECRET/not_ready']) {
      expect(config).toContain(`http://ONDES${path}`)
    }
  })
})

describe("MediaMTX's API (STREAMS_MEDIAMTX_API_URL): a reset key kicks, a session it no longer carries goes stale", () => {
  // A small real HTTP server in MediaMTX's place: it answers as MediaMTX's v3 API does and records what it is asked.
  const asked: string[] = []
  const published = new Map<string, { type: string; id: string }>()
  let answering = true
  const api = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(request) {
      const { pathname, search } = new URL(request.url)
      asked.push(`${request.method} ${pathname}${search}`)
      if (!answering) return new Response('{"status":"error","error":"unavailable"}', { status: 500 })
      const path = (name: string) => ({ name, online: true, ready: true, source: published.get(name) ?? null })
      if (pathname === '/v3/paths/list') return Response.json({ pageCount: 1, itemCount: published.size, items: [...published.keys()].map(path) })
      const got = /^\/v3\/paths\/get\/(.+)$/.exec(pathname)
      if (got) return published.has(got[1]!) ? Response.json(path(got[1]!)) : Response.json({ status: 'error', error: 'path not found' }, { status: 404 })
      const kicked = /^\/v3\/rtmpconns\/kick\/(.+)$/.exec(pathname)
      if (kicked && request.method === 'POST') {
        for (const [name, source] of published) if (source.id === kicked[1]) published.delete(name)
        return Response.json({ status: 'ok' })
      }
      return new Response('not found', { status: 404 })
    },
  })
  let m: TestPlatform
  let cy: Broadcaster
  let dee: Broadcaster
  beforeAll(async () => {
    m = await createTestPlatform([users, streams], {
      STREAMS_INGEST_SECRET: SECRET,
      STREAMS_MEDIAMTX_API_URL: `http://127.0.0.1:${api.port}`,
      STREAMS_UPDATE_TIMEOUT_SECONDS: '2',
    })
    cy = await addBroadcaster(m, '911', 'mtx_cy')
    dee = await addBroadcaster(m, '912', 'mtx_dee')
  }, 30_000)
  afterAll(async () => {
    await m.close()
    await api.stop(true)
  }, 30_000)

  const goLiveAt = async (broadcaster: Broadcaster, id: string) => {
    published.set(broadcaster.login, { type: 'rtmpConn', id })
    const res = await m.request(`/api/ingest/mediamtx/${SECRET}/ready`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ path: broadcaster.login, query: `key=${await streamKeyOf(m, broadcaster)}`, id }).toString(),
    })
    expect(res.status).toBe(200)
  }
  const live = async () =>
    ((await (await m.request('/api/streams?user_login=mtx_cy&user_login=mtx_dee')).json()) as { data: { user_login: string }[] }).data.map((s) => s.user_login)
  const reasonOf = async (broadcaster: Broadcaster) =>
    (await m.sql.streams!`select end_reason from streams where broadcaster_id = ${broadcaster.id} order by id desc limit 1`)[0]?.end_reason

  test('a key reset kicks the publisher off its path through the API', async () => {
    const id = '0b7f3c1a-5e2d-4c9b-8a6f-1d3e5f7a9b21'
    await goLiveAt(cy, id)
    expect(await live()).toEqual(['mtx_cy'])
    const reset = await m.request(`/api/streams/key/reset?broadcaster_id=${cy.id}`, { method: 'POST', token: cy.token })
    expect(reset.status).toBe(200)
    expect(asked).toContain('GET /v3/paths/get/mtx_cy')
    expect(asked).toContain(`POST /v3/rtmpconns/kick/${id}`)
    expect(published.has('mtx_cy')).toBe(false)
    expect(await live()).toEqual([])
    expect(await reasonOf(cy)).toBe('key_reset')
  })

  test('a suspension while live kicks the publisher through the API and takes the session offline', async () => {
    const id = '9d1e4b7a-2c5f-4e8d-b3a6-7f0c2e4a6b31'
    await goLiveAt(cy, id)
    expect(await live()).toEqual(['mtx_cy'])
    await suspendAt(m, cy, 2)
    expect(await live()).toEqual([])
    expect(await reasonOf(cy)).toBe('suspended')
    // The owed cut, by the job.
    const deadline = Date.now() + 5000
    while (published.has('mtx_cy') && Date.now() < deadline) await Bun.sleep(50)
    expect(asked).toContain(`POST /v3/rtmpconns/kick/${id}`)
    expect(published.has('mtx_cy')).toBe(false)
  })

  test('live while the API lists it published, past the timeout; offline within it once MediaMTX stops answering', async () => {
    await goLiveAt(dee, '6c2e8a4f-1b3d-4f5a-9c7e-2a4b6d8f0e13')
    // Twice the timeout: the polls keep it live.
    await Bun.sleep(4000)
    expect(await live()).toEqual(['mtx_dee'])
    expect(asked.filter((line) => line.startsWith('GET /v3/paths/list')).length).toBeGreaterThan(2)
    // MediaMTX dies (its API errors, its hooks never come): the session ends by itself.
    answering = false
    const deadline = Date.now() + 5000
    while ((await live()).length > 0 && Date.now() < deadline) await Bun.sleep(100)
    expect(await live()).toEqual([])
    expect(await reasonOf(dee)).toBe('updates_stopped')
  }, 15_000)
})
