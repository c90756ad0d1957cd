/**
 * MediaMTX's hooks with requests as MediaMTX sends them (it is not in Debian's registry here, so
 * these are recorded shapes, not a live server): the auth hook's JSON, the runOnReady /
 * runOnNotReady curl posts of deploy/ingest/mediamtx.yml.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { streams } from '../../src/modules/streams/index.ts'
import { users } from '../../src/modules/users/index.ts'
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
afterAll(() => t.close())

const SOURCE_ID = '4f6a1c2e-9d3b-4b8e-a1f0-2c5d7e9b3a11'
const auth = (action: string, path: string, query: string, secret = SECRET) =>
  t.request(`/api/ingest/mediamtx/${secret}/auth`, {
    method: 'POST',
    json: { user: '', password: '', token: '', ip: '192.0.2.7', action, path, protocol: 'rtmp', id: SOURCE_ID, query },
  })
// curl --data-urlencode, as the runOnReady / runOnNotReady hooks send it.
const hook = (name: string, path: string, query: string) =>
  t.request(`/api/ingest/mediamtx/${SECRET}/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ path, query, id: SOURCE_ID }).toString(),
  })
const liveLogins = async () =>
  ((await (await t.request('/api/streams')).json()) as { data: { user_login: string }[] }).data.map((s) => s.user_login)

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

  test('runOnReady makes the login live; runOnNotReady ends it; a second publisher is refused', async () => {
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
