import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../../platform/http/env.ts'
import type { ModuleInstance } from '../../platform/module.ts'
import { createTestPlatform, type TestPlatform } from '../../platform/testing/harness.ts'
import { users } from './index.ts'
import { registerAccount, type SignedIn } from './test-accounts.ts'

let t: TestPlatform
let routes: ModuleInstance['routes'] | undefined
let me: SignedIn
beforeAll(async () => {
  // The module's routes exactly as the platform mounts them.
  t = await createTestPlatform([
    {
      ...users,
      create: async (context) => {
        const instance = await users.create(context)
        routes = instance.routes
        return instance
      },
    },
  ])
  me = await registerAccount(t, 'me_paths_owner')
})
afterAll(() => t.close())

/**
 * The router Hono settles on for an app assembled as platform.ts assembles it: middleware on
 * every path, the module's routes, the platform's own endpoints (`extra` adds more routes).
 */
async function activeRouter(extra: (app: OpenAPIHono<AppEnv>) => void = () => {}): Promise<string> {
  if (!routes) throw new Error('the users module was not created')
  const app = new OpenAPIHono<AppEnv>()
  app.use(async (_c, next) => next())
  app.route('/', routes)
  for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs']) app.get(path, (c) => c.text(path))
  extra(app)
  await app.request('/api/users/1')
  return app.router.name
}

describe('routing', () => {
  test('the users routes keep the app on RegExpRouter', async () => {
    expect(await activeRouter()).toBe('SmartRouter + RegExpRouter')
  })

  test('a literal `me` beside `{id}` for one method would put it on TrieRouter', async () => {
    expect(await activeRouter((app) => app.get('/api/users/me/blocks', (c) => c.text('')))).toBe('SmartRouter + TrieRouter')
  })
})

describe('`me` GET routes on the `{id}` paths', () => {
  test('GET /api/users/me is the signed-in user, and needs a token', async () => {
    const res = await t.request('/api/users/me', { token: me.accessToken })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { data: { id: string; login: string } }).data).toMatchObject({ id: me.id, login: me.login })
    const anonymous = await t.request('/api/users/me')
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('content-type')).toBe('application/problem+json')
  })

  test('GET /api/users/{id} refuses a malformed id with the validator’s 400', async () => {
    for (const id of ['abc', '0', '-1', '1e3', 'ME', '1234567890123456789']) {
      const res = await t.request(`/api/users/${id}`)
      expect(res.status).toBe(400)
      expect(await res.json()).toMatchObject({
        detail: 'Invalid path parameter: id: a user id (digits)',
        errors: [{ field: 'id', message: 'a user id (digits)' }],
      })
    }
  })

  test('settings exist only for `me`: another id is an unknown route', async () => {
    expect((await t.request('/api/users/me/settings', { token: me.accessToken })).status).toBe(200)
    const res = await t.request(`/api/users/${me.id}/settings`, { token: me.accessToken })
    expect(res.status).toBe(404)
    expect(await res.json()).toMatchObject({ detail: `No route for GET /api/users/${me.id}/settings` })
  })

  test('the OpenAPI document lists the `me` paths as they are called', async () => {
    const spec = (await (await t.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> }
    expect(Object.keys(spec.paths['/api/users/me'] ?? {}).sort()).toEqual(['get', 'patch'])
    expect(Object.keys(spec.paths['/api/users/me/settings'] ?? {}).sort()).toEqual(['get', 'patch'])
    expect(Object.keys(spec.paths['/api/users/{id}'] ?? {})).toEqual(['get'])
    expect(spec.paths['/api/users/{id}/settings']).toBeUndefined()
  })
})
