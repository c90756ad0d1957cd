/**
 * Heartbeats over HTTP: the body and path checked by hand (the same answers as the router's
 * validators), and two replicas on one Redis sharing both the viewer sets and the per-address
 * limit, which a heartbeat pays in the same Redis script as its writes (nothing written once refused).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { streams } from '../../src/modules/streams/index.ts'
import { createRedisViewers } from '../../src/modules/streams/viewers.ts'
import { users } from '../../src/modules/users/index.ts'
import { loadConfig } from '../../src/platform/config.ts'
import { createPlatform, type Platform } from '../../src/platform/platform.ts'
import { createTestPlatform, testRedisUrl, type TestPlatform } from '../../src/platform/testing/harness.ts'
import { freePort } from '../../src/platform/testing/processes.ts'
import Redis from 'ioredis'
import { addBroadcaster, goLive } from './broadcasters.ts'

const SECRET = 'heartbeats-secret-0123456789abcdefghijk'
type Problem = { status: number; type: string; detail: string; errors?: { field: string; message: string }[] }

const send = (fetch: Platform['fetch'], path: string, init: RequestInit) => Promise.resolve(fetch(new Request(`http://ondes.test${path}`, init)))
const beat = (fetch: Platform['fetch'], streamId: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  send(fetch, `/api/streams/${streamId}/heartbeat`, { method: 'POST', headers, body })

async function expectProblem(res: Response, status: number): Promise<Problem> {
  expect(res.status).toBe(status)
  expect(res.headers.get('content-type')).toBe('application/problem+json')
  return (await res.json()) as Problem
}

describe('a heartbeat’s input', () => {
  let t: TestPlatform
  let id: string
  let base: string
  beforeAll(async () => {
    t = await createTestPlatform([users, streams], { STREAMS_INGEST_SECRET: SECRET })
    base = t.platform.serve({ port: freePort(), hostname: '127.0.0.1' }).url.origin
    id = await goLive(t, SECRET, await addBroadcaster(t, '701', 'input_checks'), '1')
  }, 30_000)
  afterAll(() => t.close(), 30_000)

  // Over HTTP Bun's router serves it (a native route); through `platform.fetch`, Hono: the same answers.
  test.each(['over HTTP', 'through platform.fetch'])('is answered as the validators would, %s: 400 naming the field, 415, 413, 404', async (how) => {
    const fetch: Platform['fetch'] = how === 'over HTTP' ? (request) => globalThis.fetch(request.url.replace('http://ondes.test', base), request) : t.platform.fetch
    expect((await beat(fetch, id, '{"session_id":"session-ok-1"}')).status).toBe(204)
    expect((await beat(fetch, id, '{"session_id":"session-ok-2"}', { 'content-type': 'application/json; charset=utf-8' })).status).toBe(204)
    for (const [body, field] of [
      ['{"session_id":"short"}', 'session_id'],
      ['{"session_id":42}', 'session_id'],
      ['{"session_id":"session-ok-3","extra":1}', '(root)'],
      ['[]', '(root)'],
      ['null', '(root)'],
    ] as const) {
      const problem = await expectProblem(await beat(fetch, id, body), 400)
      expect(problem.type).toBe('https://ondes.dev/problems/request.invalid')
      expect(problem.errors?.map((e) => e.field)).toContain(field)
    }
    expect((await expectProblem(await beat(fetch, id, '{"session_id": "half'), 400)).detail).toContain('JSON')
    const noBody = await expectProblem(await send(fetch, `/api/streams/${id}/heartbeat`, { method: 'POST' }), 400)
    expect(noBody.errors?.map((e) => e.field)).toEqual(['session_id'])
    const wrongType = await expectProblem(await beat(fetch, id, '{"session_id":"session-ok-4"}', { 'content-type': 'text/plain' }), 415)
    expect(wrongType.type).toBe('https://ondes.dev/problems/request.unsupported_media_type')
    const tooLarge = `{"session_id":"session-ok-5","pad":"${'x'.repeat(2000)}"}`
    expect((await expectProblem(await beat(fetch, id, tooLarge), 413)).type).toBe('https://ondes.dev/problems/request.too_large')
    for (const bad of ['abc', '0', '007', '99999999999999999999']) {
      const problem = await expectProblem(await beat(fetch, bad, '{"session_id":"session-ok-6"}'), 400)
      expect(problem.errors?.map((e) => e.field)).toEqual(['id'])
    }
    expect((await expectProblem(await beat(fetch, '999999', '{"session_id":"session-ok-7"}'), 404)).type).toBe('https://ondes.dev/problems/stream.not_live')
  })

  test('is documented as before: path parameter, JSON body, its answers', async () => {
    const spec = (await (await t.request('/openapi.json')).json()) as {
      paths: Record<string, { post?: { operationId: string; security: unknown[]; parameters: { name: string }[]; requestBody: { content: Record<string, unknown> }; responses: Record<string, unknown> } }>
    }
    const operation = spec.paths['/api/streams/{id}/heartbeat']?.post
    expect(operation?.operationId).toBe('sendHeartbeat')
    expect(operation?.security).toEqual([])
    expect(operation?.parameters.map((p) => p.name)).toEqual(['id'])
    expect(Object.keys(operation?.requestBody.content ?? {})).toEqual(['application/json'])
    expect(Object.keys(operation?.responses ?? {}).sort()).toEqual(['204', '400', '401', '404', '413', '415', '429'])
  })
})

const redisUrl = testRedisUrl('heartbeats shared by two replicas through Redis')

describe.skipIf(!redisUrl)('two replicas on one Redis', () => {
  const prefix = `test:streams:${crypto.randomUUID()}`
  let t: TestPlatform
  let replica: Platform
  let redis: Redis
  let id: string
  beforeAll(async () => {
    const env = { STREAMS_INGEST_SECRET: SECRET, REDIS_URL: redisUrl, STREAMS_REDIS_PREFIX: prefix, STREAMS_HEARTBEATS_PER_MINUTE: '4', TRUST_PROXY: 'true' }
    t = await createTestPlatform([users, streams], env)
    const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: '.data/test', DB_POOL_MAX: '5', ...env })
    replica = await createPlatform({ ...config, modules: ['users', 'streams'], databaseUrls: { ...config.databaseUrls, ...t.databaseUrls } }, [users, streams])
    redis = new Redis(redisUrl!)
    id = await goLive(t, SECRET, await addBroadcaster(t, '702', 'two_replicas'), '2')
  }, 30_000)
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`)
    if (keys.length > 0) await redis.del(...keys)
    redis.disconnect()
    await replica.stop()
    await t.close()
  }, 30_000)

  test('share the viewers and one window per address; a refused beat is a 429 problem and counts no viewer', async () => {
    // A fresh address per run: the shared Redis keeps windows for a minute.
    const address = `198.51.100.${1 + Math.floor(Math.random() * 250)}`
    const from = (fetch: Platform['fetch'], session: string) =>
      beat(fetch, id, JSON.stringify({ session_id: session }), { 'content-type': 'application/json', 'x-forwarded-for': address })
    const statuses = []
    for (const [i, fetch] of [t.platform.fetch, replica.fetch, t.platform.fetch, replica.fetch].entries()) statuses.push((await from(fetch, `shared-session-${i}`)).status)
    expect(statuses).toEqual([204, 204, 204, 204])
    for (const fetch of [t.platform.fetch, replica.fetch]) {
      const refused = await from(fetch, `refused-session-${Math.random().toString(36).slice(2)}`)
      const problem = await expectProblem(refused, 429)
      expect(problem.type).toBe('https://ondes.dev/problems/rate_limited')
      const retryAfter = Number(refused.headers.get('retry-after'))
      expect(retryAfter).toBeGreaterThanOrEqual(1)
      expect(retryAfter).toBeLessThanOrEqual(60)
    }
    // Another address has a window of its own.
    expect((await beat(t.platform.fetch, id, '{"session_id":"other-address"}', { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.77' })).status).toBe(204)
    // Both replicas' beats are in one viewer set; the refused ones are not.
    const counts = await createRedisViewers(redis, prefix).counts([id])
    expect(counts.get(id)).toBe(5)
  })
})
