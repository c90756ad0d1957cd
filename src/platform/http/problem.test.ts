import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { OpenAPIHono } from '@hono/zod-openapi'
import pino from 'pino'
import { DomainError } from '../errors.ts'
import { PROBE_RATE_LIMIT, probeModule } from '../testing/fixtures/probe-module.ts'
import { createTestPlatform, type TestPlatform } from '../testing/harness.ts'
import type { AppEnv } from './env.ts'
import { errorHandler } from './on-error.ts'
import { combineProblemTables, PLATFORM_PROBLEMS, problemType } from './problem.ts'

let t: TestPlatform
beforeAll(async () => {
  t = await createTestPlatform([probeModule])
})
afterAll(() => t.close())

const problemOf = async (res: Response) => {
  expect(res.headers.get('content-type')).toBe('application/problem+json')
  return (await res.json()) as { type: string; status: number; detail: string }
}

describe("a problem's type comes from its code, not its status", () => {
  test('a domain error is answered with the status its module maps the code to', async () => {
    const res = await t.request('/api/users/-/refusal/probe.refused')
    expect(res.status).toBe(422)
    expect(await problemOf(res)).toMatchObject({ type: problemType('probe.refused'), status: 422, detail: 'The probe refuses' })
  })

  test('two 404s with different codes have different types', async () => {
    const item = await problemOf(await t.request('/api/users/999'))
    const route = await problemOf(await t.request('/api/nowhere'))
    expect(item).toMatchObject({ status: 404, type: 'https://ondes.dev/problems/item.not_found' })
    expect(route).toMatchObject({ status: 404, type: 'https://ondes.dev/problems/route.not_found' })
  })

  test("the HTTP layer's own problems have stable codes too", async () => {
    expect((await problemOf(await t.request('/api/users/not-a-number'))).type).toBe(problemType('request.invalid'))
    expect((await problemOf(await t.request('/api/users/-/admin'))).type).toBe(problemType('token.missing'))
    const forged = await t.request('/api/users/-/admin', { token: 'e30.e30.c2ln' })
    expect(forged.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"')
    expect((await problemOf(forged)).type).toBe(problemType('token.invalid'))
  })

  test('the rate limiter raises rate_limited: a 429 with Retry-After', async () => {
    const client = { 'x-client': crypto.randomUUID() }
    for (let i = 0; i < PROBE_RATE_LIMIT; i++) expect((await t.request('/api/users/-/limited', { headers: client })).status).toBe(200)
    const res = await t.request('/api/users/-/limited', { headers: client })
    expect(res.status).toBe(429)
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
    expect((await problemOf(res)).type).toBe(problemType('rate_limited'))
  })
})

describe('a domain error no table answers', () => {
  test('is a 500 that says nothing of it to the client and logs its code', async () => {
    const res = await t.request('/api/users/-/refusal/probe.unmapped')
    expect(res.status).toBe(500)
    const body = await problemOf(res)
    expect(body.type).toBe(problemType('internal'))
    expect(body.detail).not.toContain('probe')
  })

  test('the log line names the code, so the missing row is found at once', async () => {
    const lines: string[] = []
    const log = pino({ level: 'error' }, { write: (line: string) => void lines.push(line) })
    const app = new OpenAPIHono<AppEnv>()
    app.get('/', () => {
      throw new DomainError('nobody.maps_this', 'refused')
    })
    app.onError(errorHandler(PLATFORM_PROBLEMS))
    const res = await app.fetch(new Request('http://ondes.test/'), { log, requestId: 'r-1' })
    expect(res.status).toBe(500)
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ level: 50, code: 'nobody.maps_this' })
  })
})

describe('combineProblemTables', () => {
  test('refuses a code that two tables answer differently', () => {
    expect(() =>
      combineProblemTables([
        { owner: 'platform', problems: PLATFORM_PROBLEMS },
        { owner: 'users', problems: { 'user.not_found': 404 } },
        { owner: 'streams', problems: { 'user.not_found': 400 } },
      ]),
    ).toThrow('streams: error code user.not_found is already answered differently by users')
  })

  test('accepts the same answer declared twice', () => {
    const problems = combineProblemTables([
      { owner: 'users', problems: { 'user.not_found': 404 } },
      { owner: 'streams', problems: { 'user.not_found': 404 } },
    ])
    expect(problems['user.not_found']).toBe(404)
  })
})
