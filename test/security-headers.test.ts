import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { users } from '../src/modules/users/index.ts'
import { DOCS_CONTENT_SECURITY_POLICY } from '../src/platform/http/docs.ts'
import type { PlatformServed } from '../src/platform/platform.ts'
import { probeModule } from '../src/platform/testing/fixtures/probe-module.ts'
import { createTestPlatform, type TestPlatform } from '../src/platform/testing/harness.ts'

// Every answer, over a real socket: the users module's, the platform's own, its problems and errors.
let usersApp: TestPlatform
let probeApp: TestPlatform
let usersServed: PlatformServed
let probeServed: PlatformServed
beforeAll(async () => {
  usersApp = await createTestPlatform([users], { AUTH_ATTEMPTS_PER_MINUTE: '1000' })
  // A listener of its own for /metrics; port 0 picks a free one.
  probeApp = await createTestPlatform([probeModule], { METRICS_PORT: '0' })
  usersServed = usersApp.platform.serve({ port: 0, hostname: '127.0.0.1' })
  probeServed = probeApp.platform.serve({ port: 0, hostname: '127.0.0.1' })
}, 30_000)
afterAll(async () => {
  await Promise.all([usersApp?.close(), probeApp?.close()])
})

const send = (served: PlatformServed | URL | undefined, path: string, init: RequestInit & { json?: unknown } = {}) => {
  const base = served instanceof URL ? served : served?.url
  const { json, ...rest } = init
  return fetch(new URL(path, base), {
    ...rest,
    ...(json === undefined ? {} : { method: 'POST', body: JSON.stringify(json), headers: { 'content-type': 'application/json', ...rest.headers } }),
  })
}

function expectSecured(response: Response, what: string): void {
  expect(response.headers.get('x-content-type-options'), what).toBe('nosniff')
  expect(response.headers.get('referrer-policy'), what).toBe('no-referrer')
}

function expectNotStored(response: Response, what: string): void {
  expectSecured(response, what)
  expect(response.headers.get('cache-control'), what).toBe('no-store')
}

describe('security headers on every response', () => {
  test('the platform’s own answers, problems and errors: nosniff, no-referrer, no-store', async () => {
    const cases: Array<[PlatformServed, string, number]> = [
      [usersServed, '/healthz', 200],
      [usersServed, '/readyz', 200],
      [usersServed, '/openapi.json', 200],
      [usersServed, '/metrics', 200],
      [usersServed, '/nowhere', 404],
      [usersServed, '/api/users/not-a-number', 400],
      [probeServed, '/api/users/-/admin', 401],
      [probeServed, '/api/users/-/refusal/probe.refused', 422],
      // A domain error with no HTTP answer: the error handler's 500.
      [probeServed, '/api/users/-/refusal/probe.unmapped', 500],
    ]
    for (const [served, path, status] of cases) {
      const response = await send(served, path)
      expect(response.status, path).toBe(status)
      expectNotStored(response, path)
      await response.arrayBuffer()
    }
  })

  test('everything that carries a token or a session is never stored: register, login, refresh, sessions, and their refusals', async () => {
    const password = 'a long sentence nobody guesses'
    const registered = await send(usersServed, '/api/auth/register', {
      json: { login: 'headers_check', email: 'headers@example.test', password },
    })
    expect(registered.status).toBe(201)
    expectNotStored(registered, 'register')
    const first = ((await registered.json()) as { data: { access_token: string; refresh_token: string } }).data

    const login = await send(usersServed, '/api/auth/login', { json: { login: 'headers_check', password } })
    expect(login.status).toBe(200)
    expectNotStored(login, 'login')
    await login.arrayBuffer()

    const refreshed = await send(usersServed, '/api/auth/refresh', { json: { refresh_token: first.refresh_token } })
    expect(refreshed.status).toBe(200)
    expectNotStored(refreshed, 'refresh')
    const second = ((await refreshed.json()) as { data: { access_token: string } }).data

    const sessions = await send(usersServed, '/api/auth/sessions', { headers: { authorization: `Bearer ${second.access_token}` } })
    expect(sessions.status).toBe(200)
    expectNotStored(sessions, 'sessions')
    await sessions.arrayBuffer()

    for (const [path, json] of [
      ['/api/auth/login', { login: 'headers_check', password: 'not the password at all' }],
      ['/api/auth/refresh', { refresh_token: 'ort_not-a-token-anyone-was-given' }],
      ['/api/auth/register', { login: 'x' }],
    ] as const) {
      const refused = await send(usersServed, path, { json })
      expect(refused.status, path).toBeGreaterThanOrEqual(400)
      expectNotStored(refused, `${path} refused`)
      await refused.arrayBuffer()
    }
  }, 30_000)

  test('/docs has a policy of its own; its versioned assets are cached for a year, with a fixed type', async () => {
    const page = await send(usersServed, '/docs')
    expect(page.status).toBe(200)
    expectNotStored(page, '/docs')
    expect(page.headers.get('content-security-policy')).toBe(DOCS_CONTENT_SECURITY_POLICY)
    const html = await page.text()
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] as string)
    expect(assets).toHaveLength(3)
    for (const asset of assets) {
      expect(asset).toStartWith('/docs/assets/')
      const response = await send(usersServed, asset)
      expect(response.status, asset).toBe(200)
      expectSecured(response, asset)
      expect(response.headers.get('cache-control'), asset).toBe('public, max-age=31536000, immutable')
      expect(response.headers.get('content-type'), asset).toBe(
        asset.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
      )
      expect((await response.arrayBuffer()).byteLength, asset).toBeGreaterThan(100)
    }
    // Only the files the page names: no other path out of the package, and no other version.
    const version = assets[0]?.split('/')[3]
    for (const path of [`/docs/assets/${version}/package.json`, `/docs/assets/${version}/constructor`, '/docs/assets/0.0.0/swagger-ui.css', `/docs/assets/${version}/..%2Fpackage.json`]) {
      const response = await send(usersServed, path)
      expect(response.status, path).toBe(404)
      expectNotStored(response, path)
      await response.arrayBuffer()
    }
  })
})

describe('/metrics on a listener of its own (METRICS_PORT)', () => {
  test('the metrics listener serves it, with the same headers; the public port answers 404', async () => {
    expect(usersServed.metricsUrl).toBeUndefined()
    const listener = probeServed.metricsUrl
    expect(listener?.port).not.toBe(String(probeServed.port))
    const scraped = await send(listener, '/metrics')
    expect(scraped.status).toBe(200)
    expect(scraped.headers.get('content-type')).toStartWith('text/plain')
    expectNotStored(scraped, 'metrics listener')
    expect(await scraped.text()).toContain('http_request_duration_seconds')

    for (const [base, path] of [[probeServed, '/metrics'], [listener, '/healthz'], [listener, '/api/users/1']] as const) {
      const response = await send(base, path)
      expect(response.status, path).toBe(404)
      expect(response.headers.get('content-type'), path).toBe('application/problem+json')
      expectNotStored(response, path)
      await response.arrayBuffer()
    }
  })

  test('stopping the platform stops the metrics listener too', async () => {
    const t = await createTestPlatform([probeModule], { METRICS_PORT: '0' })
    const served = t.platform.serve({ port: 0, hostname: '127.0.0.1' })
    expect((await send(served.metricsUrl, '/metrics')).status).toBe(200)
    await t.close()
    await expect(send(served.metricsUrl, '/metrics')).rejects.toThrow()
  }, 30_000)
})
