import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../../platform/http/env.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import { ownerOnly } from './ownership.ts'
import { BroadcasterId } from './ids.ts'
import type { Raids } from './raids.ts'

/** Raids: Helix "Start a raid" and "Cancel a raid", for the raiding broadcaster. */
export function raidRoutes(raids: Raids, authenticated: MiddlewareHandler<AppEnv>) {
  const router = createRouter()
  const route = routeDefiner(authenticated)

  router.openapi(
    route({
      auth: 'required',
      operationId: 'startRaid',
      method: 'post',
      path: '/api/raids',
      tags: ['raids'],
      summary: 'Raid another live channel after a countdown (Helix "Start a raid")',
      request: { query: z.object({ from_broadcaster_id: BroadcasterId, to_broadcaster_id: BroadcasterId }) },
      responses: {
        200: {
          description: 'The countdown began',
          content: {
            'application/json': {
              schema: z.object({ data: z.array(z.object({ created_at: z.string().openapi({ format: 'date-time' }), is_mature: z.boolean() })) }),
            },
          },
        },
        ...problemResponses(400, 403, 404, 409),
      },
    }),
    async (c) => {
      const query = c.req.valid('query')
      ownerOnly(c.var.auth.userId, query.from_broadcaster_id)
      const raid = await raids.start(query.from_broadcaster_id, query.to_broadcaster_id)
      return c.json({ data: [{ created_at: raid.createdAt.toISOString(), is_mature: raid.isMature }] }, 200)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'cancelRaid',
      method: 'delete',
      path: '/api/raids',
      tags: ['raids'],
      summary: 'Cancel your raid during its countdown (Helix "Cancel a raid")',
      request: { query: z.object({ broadcaster_id: BroadcasterId }) },
      responses: { 204: { description: 'Canceled' }, ...problemResponses(400, 403, 404) },
    }),
    async (c) => {
      const { broadcaster_id } = c.req.valid('query')
      ownerOnly(c.var.auth.userId, broadcaster_id)
      await raids.cancel(broadcaster_id)
      return c.body(null, 204)
    },
  )

  return router
}
