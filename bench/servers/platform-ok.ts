/**
 * Ondes side of figure 2: the real `createPlatform` (the wrapper around `app.fetch` giving
 * every request its id, echoed header, lazy pino child logger and RED histogram observation;
 * problem handlers; the module router with its validation hook) mounting one tiny module
 * whose route answers "ok". It borrows the users module's migrations
 * so the platform's start-up (migrations, /readyz) runs as for any module.
 */
import { createRoute, z } from '@hono/zod-openapi'
import { loadConfig } from '../../src/platform/config.ts'
import { createRouter } from '../../src/platform/http/router.ts'
import type { ModuleDefinition } from '../../src/platform/module.ts'
import { createPlatform } from '../../src/platform/platform.ts'
import { users } from '../../src/modules/users/index.ts'

const trivial: ModuleDefinition = {
  name: 'users',
  prefixes: ['/api/bench'],
  migrations: users.migrations,
  create: () => {
    // Declared the way modules declare routes (DESIGN §8), with no request schema to validate.
    const routes = createRouter()
    routes.openapi(
      createRoute({
        method: 'get',
        path: '/api/bench/ok',
        responses: { 200: { description: 'ok', content: { 'text/plain': { schema: z.string() } } } },
      }),
      (c) => c.text('ok', 200),
    )
    return { routes }
  },
}

const config = loadConfig({ ...process.env, MODULES: 'users' })
const platform = await createPlatform(config, [trivial])
const server = Bun.serve({ port: config.port, hostname: config.host, fetch: platform.fetch })
process.on('SIGTERM', async () => {
  await server.stop()
  await platform.stop()
  process.exit(0)
})
