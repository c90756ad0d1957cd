import { describe, expect, test } from 'bun:test'
import { Hono } from 'hono'
import { jsonAnswer, serializedJson } from './serialized-json.ts'

const page = { data: [{ id: '1', title: 'Speedrun «any%»', started_at: new Date(Date.UTC(2026, 0, 2)) }], pagination: {} }

// Middleware setting a header first, as the platform's and a module's do before a handler answers.
const app = new Hono()
  .use(async (c, next) => {
    c.header('x-stream-region', 'eu')
    await next()
  })
  .get('/json', (c) => c.json(page, 201))
  .get('/serialized', (c) => jsonAnswer(c, serializedJson(page), 201))

const answer = async (path: string) => {
  const response = await app.request(path)
  return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() }
}

describe('pre-serialised JSON answers', () => {
  test("answer what c.json does: status, every header (the middleware's too), the same bytes", async () => {
    const serialized = await answer('/serialized')
    expect(serialized).toEqual(await answer('/json'))
    expect(serialized.headers).toMatchObject({ 'content-type': 'application/json', 'x-stream-region': 'eu' })
    expect(JSON.parse(serialized.body)).toEqual({ ...page, data: [{ ...page.data[0], started_at: '2026-01-02T00:00:00.000Z' }] })
  })

  test('one text serves every request it is sent to', async () => {
    let serialisations = 0
    const counted = { toJSON: () => ++serialisations }
    const body = serializedJson({ counted })
    const shared = new Hono().get('/', (c) => jsonAnswer(c, body, 200))
    for (let i = 0; i < 3; i++) expect(await (await shared.request('/')).json()).toEqual({ counted: 1 })
    expect(serialisations).toBe(1)
  })
})
