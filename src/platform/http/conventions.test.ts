import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { probeModule } from '../testing/fixtures/probe-module.ts'
import { createTestPlatform, type TestPlatform } from '../testing/harness.ts'
import { encodeCursor } from './pagination.ts'

let t: TestPlatform
beforeAll(async () => {
  t = await createTestPlatform([probeModule])
})
afterAll(() => t.close())

type Problem = { type: string; title: string; status: number; detail: string; errors?: { field: string; message: string }[] }

async function expectProblem(res: Response, status: number): Promise<Problem> {
  expect(res.status).toBe(status)
  expect(res.headers.get('content-type')).toBe('application/problem+json')
  const body = (await res.json()) as Problem
  expect(body).toMatchObject({ status, title: expect.any(String), type: expect.stringMatching(/^https:\/\//) })
  expect(body.detail.length).toBeGreaterThan(0)
  return body
}

const itemCount = async () => Number((await t.sql.probe!`select count(*)::int as n from items`)[0]?.n)

describe('bad requests are 4xx problem+json and write nothing', () => {
  test('malformed JSON body', async () => {
    const res = await t.request('/api/users', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name": "half',
    })
    await expectProblem(res, 400)
    expect(await itemCount()).toBe(0)
  })

  test('a JSON body sent as text/plain is refused, not read as empty', async () => {
    const res = await t.request('/api/users', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ name: 'sneaky' }),
    })
    await expectProblem(res, 415)
    expect(await itemCount()).toBe(0)
  })

  test('no body at all', async () => {
    await expectProblem(await t.request('/api/users', { method: 'POST' }), 400)
    expect(await itemCount()).toBe(0)
  })

  test('wrong types, over-long strings and unknown fields each name the field', async () => {
    for (const [json, field] of [
      [{ name: 42 }, 'name'],
      [{ name: 'x'.repeat(51) }, 'name'],
      [{ name: 'ok', admin: true }, '(root)'],
      [[], '(root)'],
    ] as const) {
      const body = await expectProblem(await t.request('/api/users', { method: 'POST', json }), 400)
      expect(body.errors?.map((e) => e.field)).toContain(field)
    }
    expect(await itemCount()).toBe(0)
  })

  test('a bad path parameter', async () => {
    const body = await expectProblem(await t.request('/api/users/not-a-number'), 400)
    expect(body.errors?.[0]?.field).toBe('id')
  })

  test('an unknown route', async () => {
    const body = await expectProblem(await t.request('/api/nowhere/42'), 404)
    expect(body.detail).toContain('/api/nowhere/42')
  })

  test('a known path with an unsupported method', async () => {
    await expectProblem(await t.request('/api/users/1', { method: 'DELETE' }), 404)
  })
})

describe('lists', () => {
  test('pages through with opaque cursors in the Helix envelope', async () => {
    for (const name of ['a', 'b', 'c']) {
      expect((await t.request('/api/users', { method: 'POST', json: { name } })).status).toBe(201)
    }
    const seen: string[] = []
    let after: string | undefined
    for (let page = 0; page < 5; page++) {
      const res = await t.request(`/api/users?first=2${after ? `&after=${after}` : ''}`)
      expect(res.status).toBe(200)
      const body = (await res.json()) as { data: { name: string }[]; pagination: { cursor?: string } }
      seen.push(...body.data.map((item) => item.name))
      after = body.pagination.cursor
      if (!after) break
    }
    expect(seen).toEqual(['a', 'b', 'c'])
  })

  test('a garbage cursor is a 400 naming `after`', async () => {
    for (const after of ['garbage', '%%%', encodeCursor([1, 2]), Buffer.from('{"id":1}').toString('base64url')]) {
      const body = await expectProblem(await t.request(`/api/users?after=${encodeURIComponent(after)}`), 400)
      expect(body.errors?.[0]?.field).toBe('after')
    }
  })

  test('`first` outside 1–100 is a 400', async () => {
    for (const first of ['0', '101', 'ten', '-1']) {
      const body = await expectProblem(await t.request(`/api/users?first=${first}`), 400)
      expect(body.errors?.[0]?.field).toBe('first')
    }
  })
})

describe('every answer carries a request id', () => {
  test('on success and on problems alike, and a client-sent id is kept', async () => {
    for (const path of ['/healthz', '/api/users/abc', '/api/nowhere']) {
      expect((await t.request(path)).headers.get('x-request-id')).toMatch(/.{8,}/)
    }
    const res = await t.request('/healthz', { headers: { 'x-request-id': 'trace-me-123' } })
    expect(res.headers.get('x-request-id')).toBe('trace-me-123')
  })
})

describe('OpenAPI', () => {
  test('/openapi.json describes the mounted routes and /docs renders it', async () => {
    const spec = (await (await t.request('/openapi.json')).json()) as { openapi: string; paths: Record<string, unknown> }
    expect(spec.openapi).toBe('3.1.0')
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/api/users', '/api/users/{id}']))
    const docs = await t.request('/docs')
    expect(docs.status).toBe(200)
    expect(await docs.text()).toContain('/openapi.json')
  })
})
