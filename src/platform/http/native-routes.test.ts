import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { DomainError } from '../errors.ts'
import type { ModuleDefinition } from '../module.ts'
import type { Served } from '../sockets/serve.ts'
import { createTestPlatform, type TestPlatform } from '../testing/harness.ts'
import { PROBE_MIGRATIONS } from '../testing/fixtures/probe-module.ts'
import { freePort } from '../testing/processes.ts'
import { checkNativeRoutes, type NativeRoute } from './native-routes.ts'
import { Problem } from './problem.ts'
import { createRouter } from './router.ts'

const LIMIT = 64

/**
 * A module with one native route that tells who served it (Bun's router hands it a request with
 * `params`; Hono its raw request) and answers what its body asks: an echo, a mapped domain error,
 * a problem, or a bug.
 */
const beat: NativeRoute = {
  method: 'POST',
  path: '/api/native/:id/beat',
  bodyLimit: LIMIT,
  handle: async (request, params, scope) => {
    const { say } = (await request.json()) as { say: string }
    if (say === 'refused') throw new DomainError('native.refused', 'Refused by the module')
    if (say === 'problem') throw new Problem(409, 'A problem of its own', { code: 'native.conflict' })
    if (say === 'bug') throw new Error('a bug in the handler')
    const servedBy = 'params' in request ? 'bun' : 'hono'
    return Response.json({ id: params.id, say, request_id: scope.requestId }, { headers: { 'x-served-by': servedBy } })
  },
}

const nativeProbe: ModuleDefinition = {
  name: 'native-probe',
  prefixes: ['/api/native'],
  migrations: PROBE_MIGRATIONS,
  problems: { 'native.refused': 422 },
  create: () => ({ routes: createRouter(), nativeRoutes: [beat] }),
}

let t: TestPlatform
let served: Served
let base: string
beforeAll(async () => {
  t = await createTestPlatform([nativeProbe])
  served = t.platform.serve({ port: freePort(), hostname: '127.0.0.1' })
  base = `http://127.0.0.1:${served.port}`
})
afterAll(() => t.close())

type Answer = { status: number; servedBy: string | null; headers: Headers; body: Record<string, unknown> }
type Send = (path: string, init: RequestInit) => Promise<Response>
const overHttp: Send = (path, init) => fetch(`${base}${path}`, init)
const throughFetch: Send = async (path, init) => t.platform.fetch(new Request(`http://ondes.test${path}`, init))

async function send(how: Send, say: string, init: RequestInit = {}, path = '/api/native/7/beat'): Promise<Answer> {
  const res = await how(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ say }), ...init })
  const text = await res.text()
  return { status: res.status, servedBy: res.headers.get('x-served-by'), headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }
}

/** Requests counted by the RED histogram for the native route's template with `status`. */
async function counted(status: number): Promise<number> {
  const text = await (await t.request('/metrics')).text()
  const line = text
    .split('\n')
    .find((l) => l.startsWith('http_request_duration_seconds_count{') && l.includes('route="/api/native/:id/beat"') && l.includes(`status="${status}"`))
  return line === undefined ? 0 : Number(line.split(' ').at(-1))
}

describe('a native route', () => {
  test("is served by Bun's router over HTTP, and by Hono through platform.fetch, with the same answer", async () => {
    const native = await send(overHttp, 'hello')
    const hono = await send(throughFetch, 'hello')
    expect(native.servedBy).toBe('bun')
    expect(hono.servedBy).toBe('hono')
    for (const answer of [native, hono]) {
      expect(answer.status).toBe(200)
      expect(answer.body).toMatchObject({ id: '7', say: 'hello' })
      // The platform's conventions: the request id it was told is the one echoed, the security headers.
      expect(answer.headers.get('x-request-id')).toBe(answer.body.request_id as string)
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff')
      expect(answer.headers.get('cache-control')).toBe('no-store')
    }
    expect((await send(overHttp, 'hello', { headers: { 'content-type': 'application/json', 'x-request-id': 'from-the-gateway' } })).body.request_id).toBe(
      'from-the-gateway',
    )
  })

  test('answers errors as problem+json from the same table either way', async () => {
    for (const how of [overHttp, throughFetch]) {
      const cases = [
        ['refused', 422, 'native.refused'],
        ['problem', 409, 'native.conflict'],
        ['bug', 500, 'internal'],
      ] as const
      for (const [say, status, code] of cases) {
        const answer = await send(how, say)
        expect(answer.status).toBe(status)
        expect(answer.headers.get('content-type')).toBe('application/problem+json')
        expect(answer.body.type).toBe(`https://ondes.dev/problems/${code}`)
        expect(answer.headers.get('x-request-id')).toBeTruthy()
        expect(answer.headers.get('x-content-type-options')).toBe('nosniff')
      }
    }
  })

  test('leaves what it does not take natively to Hono: a larger or streamed body, another method, another path', async () => {
    const large = await send(overHttp, 'x'.repeat(LIMIT))
    expect(large.status).toBe(413)
    expect(large.body.type).toBe('https://ondes.dev/problems/request.too_large')
    const chunked = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(JSON.stringify({ say: 'streamed' })))
        controller.close()
      },
    })
    const streamed = await send(overHttp, '', { body: chunked })
    expect(streamed).toMatchObject({ status: 200, servedBy: 'hono', body: { say: 'streamed' } })
    expect((await send(overHttp, 'hello', { method: 'PUT' })).status).toBe(404)
    expect((await send(overHttp, 'hello', {}, '/api/native/7/beat/')).status).toBe(404)
  })

  test('is counted under its route template, never its path', async () => {
    const before = await counted(200)
    await send(overHttp, 'counted')
    await send(throughFetch, 'counted')
    expect(await counted(200)).toBe(before + 2)
  })
})

describe('checkNativeRoutes', () => {
  const prefixes = [
    { module: 'streams', prefix: '/api/channels' },
    { module: 'chat', prefix: '/api/channels/vips' },
    { module: 'streams', prefix: '/api/streams' },
  ]
  const route = (path: string, method: NativeRoute['method'] = 'POST'): NativeRoute => ({ method, path, handle: async () => new Response(null) })

  test("refuses a route outside its module's prefixes, where prefixes nest, or declared twice", () => {
    expect(() => checkNativeRoutes([{ module: 'streams', route: route('/api/streams/:id/heartbeat') }], prefixes)).not.toThrow()
    expect(() => checkNativeRoutes([{ module: 'chat', route: route('/api/streams/:id/heartbeat') }], prefixes)).toThrow(/outside/)
    expect(() => checkNativeRoutes([{ module: 'streams', route: route('/api/channels/:id') }], prefixes)).toThrow(/nest/)
    const twice = { module: 'streams', route: route('/api/streams/:id/heartbeat') }
    expect(() => checkNativeRoutes([twice, twice], prefixes)).toThrow(/twice/)
    expect(() => checkNativeRoutes([twice, { module: 'streams', route: route('/api/streams/:id/heartbeat', 'GET') }], prefixes)).not.toThrow()
  })
})
