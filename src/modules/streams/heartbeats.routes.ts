import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AccessTokenVerifier } from '../../platform/auth/tokens.ts'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import { clientAddress, rateLimitKey } from '../../platform/http/client-address.ts'
import type { AppEnv } from '../../platform/http/env.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import { enforceRateLimit, type RateLimiter, type RateLimitRule } from '../../platform/rate-limit.ts'
import { streamsError } from './errors.ts'
import { Id } from './ids.ts'
import type { Viewers } from './viewers.ts'

const Heartbeat = z
  .strictObject({
    session_id: z
      .string()
      .regex(/^[A-Za-z0-9_-]{8,64}$/, '8 to 64 letters, digits, _ or -')
      .openapi({ description: "The player's viewer session, e.g. a UUID kept for the page's life" }),
  })
  .openapi('Heartbeat')

const BEARER = /^Bearer (.+)$/i
/** How long the set of live stream ids is trusted: heartbeats never wait on Postgres. */
const LIVE_IDS_TTL_MS = 1000

/** The ids of live streams, read at most once a second per process. */
function liveIds(database: ModuleDatabase): () => Promise<Set<string>> {
  let cached: { at: number; ids: Promise<Set<string>> } | undefined
  return () => {
    if (!cached || Date.now() - cached.at > LIVE_IDS_TTL_MS) {
      const ids = database.sql<{ id: string }[]>`select id::text as id from streams where ended_at is null`.then((rows) => new Set(rows.map((r) => r.id)))
      cached = { at: Date.now(), ids }
      ids.catch(() => (cached = undefined))
    }
    return cached.ids
  }
}

/** Viewer heartbeats: anonymous, or signed in (the viewer minutes carry the user id). Limited per address (an IPv6 client by its /64). */
export function heartbeatRoutes(
  parts: { database: ModuleDatabase; viewers: Viewers; rateLimiter: RateLimiter; verifyAccessToken: AccessTokenVerifier },
  options: { trustProxy: boolean; perMinute: number },
  authenticated: MiddlewareHandler<AppEnv>,
) {
  const { viewers, rateLimiter, verifyAccessToken } = parts
  const router = createRouter()
  const route = routeDefiner(authenticated)
  const live = liveIds(parts.database)
  const rule: RateLimitRule = { name: 'streams-heartbeat', limit: options.perMinute, windowSeconds: 60 }

  router.openapi(
    route({
      auth: 'none',
      operationId: 'sendHeartbeat',
      method: 'post',
      path: '/api/streams/{id}/heartbeat',
      tags: ['streams'],
      summary: 'A viewer is watching (every ~30 s); a bearer token, if sent, names the viewer',
      bodyLimit: 1024,
      request: {
        params: z.object({ id: Id }),
        body: { required: true, content: { 'application/json': { schema: Heartbeat } } },
      },
      responses: { 204: { description: 'Counted' }, ...problemResponses(400, 401, 404, 429) },
    }),
    async (c) => {
      await enforceRateLimit(rateLimiter, rule, rateLimitKey(clientAddress(c, options.trustProxy)))
      const bearer = BEARER.exec(c.req.header('authorization') ?? '')?.[1]
      const userId = bearer ? (await verifyAccessToken(bearer)).userId : undefined
      const { id } = c.req.valid('param')
      if (!(await live()).has(id)) throw streamsError('stream.not_live', 'No live stream with this id')
      await viewers.beat(id, c.req.valid('json').session_id, userId)
      return c.body(null, 204)
    },
  )

  return router
}
