import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { ConfigError } from '../config.ts'
import { innerModule, outerModule, type NestedAnswer } from '../testing/fixtures/nested-modules.ts'
import { createTestPlatform, type TestPlatform } from '../testing/harness.ts'
import { checkPrefixes, contestedOwner, prefixOwner } from './prefixes.ts'

const CLAIMS = [
  { module: 'streams', prefix: '/api/channels' },
  { module: 'chat', prefix: '/api/channels/vips' },
  { module: 'users', prefix: '/api/users' },
]

describe('prefix owners', () => {
  test('the longest declared prefix owns a path, and a prefix holds only whole segments', () => {
    const ownerOf = prefixOwner(CLAIMS)
    expect(ownerOf('/api/channels/vips')).toBe('chat')
    expect(ownerOf('/api/channels/vips/1')).toBe('chat')
    expect(ownerOf('/api/channels')).toBe('streams')
    expect(ownerOf('/api/channels/vipsx')).toBe('streams')
    expect(ownerOf('/api/channels/:id')).toBe('streams')
    expect(ownerOf('/api/channelsx')).toBeUndefined()
    expect(ownerOf('/healthz')).toBeUndefined()
  })

  test('only paths where two modules nest are contested; none at all without nesting', () => {
    const contested = contestedOwner(CLAIMS)
    expect(contested?.('/api/channels/vips')).toBe('chat')
    expect(contested?.('/api/channels/1')).toBe('streams')
    expect(contested?.('/api/users/1')).toBeUndefined()
    expect(contestedOwner(CLAIMS.filter((c) => c.module !== 'chat'))).toBeUndefined()
    // Nesting within one module is nobody else's business.
    expect(contestedOwner([{ module: 'a', prefix: '/api/a' }, { module: 'a', prefix: '/api/a/b' }])).toBeUndefined()
  })

  test('a prefix declared twice is refused; nesting is not', () => {
    expect(() => checkPrefixes(CLAIMS)).not.toThrow()
    expect(() => checkPrefixes([...CLAIMS, { module: 'subscriptions', prefix: '/api/channels' }])).toThrow(
      'subscriptions: prefix "/api/channels" is already declared by streams',
    )
    expect(() => checkPrefixes([...CLAIMS, { module: 'users', prefix: '/api/users' }])).toThrow(ConfigError)
  })
})

async function answer(t: TestPlatform, path: string): Promise<NestedAnswer & { status: number; marked: boolean }> {
  const res = await t.request(path)
  const body = res.status === 200 ? ((await res.json()) as NestedAnswer) : { module: '', route: '' }
  return { status: res.status, ...body, marked: res.headers.get('x-outer-middleware') === 'ran' }
}

/** The request count of one series of the RED histogram. */
async function requests(t: TestPlatform, labels: { module: string; route: string }): Promise<number> {
  const text = await (await t.request('/metrics')).text()
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith('http_request_duration_seconds_count{') &&
        l.includes(`module="${labels.module}"`) &&
        l.includes(`route="${labels.route}"`) &&
        l.includes('method="GET"'),
    )
  return line === undefined ? 0 : Number(line.split(' ').at(-1))
}

for (const order of [
  [outerModule, innerModule],
  [innerModule, outerModule],
]) {
  describe(`nested prefixes, mounted ${order.map((m) => m.name).join(' then ')}`, () => {
    let t: TestPlatform
    beforeAll(async () => {
      t = await createTestPlatform(order)
    })
    afterAll(() => t.close())

    test('the inner module answers its prefix and what is under it; the outer one everything else', async () => {
      expect(await answer(t, '/api/outer/inner')).toEqual({ status: 200, module: 'inner', route: '/api/outer/inner', marked: false })
      expect(await answer(t, '/api/outer/inner/7')).toEqual({ status: 200, module: 'inner', route: '/api/outer/inner/:id', marked: false })
      // Hono's `/api/outer/*` holds `/api/outer` itself.
      expect(await answer(t, '/api/outer')).toEqual({ status: 200, module: 'outer', route: '/api/outer', marked: true })
      expect(await answer(t, '/api/outer/7')).toEqual({ status: 200, module: 'outer', route: '/api/outer/:id', marked: true })
      expect(await answer(t, '/api/outer/innerx')).toEqual({ status: 200, module: 'outer', route: '/api/outer/:id', marked: true })
      expect(await answer(t, '/api/outer/7/deeper')).toEqual({ status: 200, module: 'outer', route: '/api/outer/:id/*', marked: true })
    })

    test("what the inner module does not serve is a 404 of its own, never the outer module's wildcard", async () => {
      const res = await t.request('/api/outer/inner/7/deeper')
      expect(res.status).toBe(404)
      expect(res.headers.get('content-type')).toContain('application/problem+json')
      expect(res.headers.get('x-outer-middleware')).toBeNull()
    })

    test('the RED histogram labels each request with the module and route that answered it', async () => {
      const before = await requests(t, { module: 'inner', route: '/api/outer/inner' })
      const outerBefore = await requests(t, { module: 'outer', route: '/api/outer/:id' })
      await t.request('/api/outer/inner')
      await t.request('/api/outer/inner')
      await t.request('/api/outer/3')
      expect(await requests(t, { module: 'inner', route: '/api/outer/inner' })).toBe(before + 2)
      expect(await requests(t, { module: 'outer', route: '/api/outer/:id' })).toBe(outerBefore + 1)
      expect(await requests(t, { module: 'outer', route: '/api/outer/inner' })).toBe(0)
    })
  })
}

test('start-up refuses two modules declaring the same prefix', async () => {
  const twin: typeof innerModule = { ...innerModule, name: 'twin' }
  expect(createTestPlatform([outerModule, innerModule, twin])).rejects.toThrow('twin: prefix "/api/outer/inner" is already declared by inner')
})
