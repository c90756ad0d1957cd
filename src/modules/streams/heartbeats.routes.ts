import { z, type OpenAPIHono } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { AccessTokenVerifier } from '../../platform/auth/tokens.ts'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import { rateLimitKey, requestAddress } from '../../platform/http/client-address.ts'
import type { AppEnv } from '../../platform/http/env.ts'
import type { NativeRoute } from '../../platform/http/native-routes.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter, invalidRequest } from '../../platform/http/router.ts'
import { refuseUnless, type RateLimiter, type RateLimitRule } from '../../platform/rate-limit.ts'
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
const Params = z.object({ id: Id })

const BEARER = /^Bearer (.+)$/i
// The media types zod-openapi's validator takes as JSON: `application/json`, `+json` ones, with parameters.
const JSON_MEDIA_TYPE = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i
/** A heartbeat's body is a session id: 1 KiB is plenty. */
const HEARTBEAT_BODY_LIMIT = 1024
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

/**
 * The session a heartbeat's body names, checked as the router's validators would (415 for
 * another media type, 400 for malformed JSON or fields) without their four middleware steps,
 * which cost more than the beat's Redis script (bench/heartbeats.ts).
 */
async function sessionOf(request: Request): Promise<string> {
  const type = request.headers.get('content-type')
  // No body at all is an empty object, whose missing field the 400 names.
  let body: unknown = {}
  if (type !== null || request.body !== null) {
    if (type === null || !JSON_MEDIA_TYPE.test(type)) throw new HTTPException(415, { message: 'Unsupported Media Type' })
    try {
      body = await request.json()
    } catch {
      throw new HTTPException(400, { message: 'Malformed JSON in request body' })
    }
  }
  const parsed = Heartbeat.safeParse(body)
  if (!parsed.success) throw invalidRequest('json', parsed.error.issues)
  return parsed.data.session_id
}

/**
 * Viewer heartbeats: anonymous, or signed in (the viewer minutes carry the user id). Limited per
 * address (an IPv6 client by its /64). Served by Bun's router (`native`, a beat from every player
 * every 30 s), documented in `routes` as `router.openapi` would.
 */
export function heartbeatRoutes(
  parts: { database: ModuleDatabase; viewers: Viewers; rateLimiter: RateLimiter; verifyAccessToken: AccessTokenVerifier },
  options: { trustProxy: boolean; perMinute: number },
  authenticated: MiddlewareHandler<AppEnv>,
): { routes: OpenAPIHono<AppEnv>; native: NativeRoute } {
  const { viewers, rateLimiter, verifyAccessToken } = parts
  const router = createRouter()
  const route = routeDefiner(authenticated)
  const live = liveIds(parts.database)
  const rule: RateLimitRule = { name: 'streams-heartbeat', limit: options.perMinute, windowSeconds: 60 }

  // Its middleware (the body limit) is the platform's on a native route, from `bodyLimit`.
  const { middleware: _, ...documented } = route({
    auth: 'none',
    operationId: 'sendHeartbeat',
    method: 'post',
    path: '/api/streams/{id}/heartbeat',
    tags: ['streams'],
    summary: 'A viewer is watching (every ~30 s); a bearer token, if sent, names the viewer',
    bodyLimit: HEARTBEAT_BODY_LIMIT,
    request: {
      params: Params,
      body: { required: true, content: { 'application/json': { schema: Heartbeat } } },
    },
    responses: { 204: { description: 'Counted' }, ...problemResponses(400, 401, 404, 415, 429) },
  })
  router.openAPIRegistry.registerPath(documented)

  const native: NativeRoute = {
    method: 'POST',
    path: '/api/streams/:id/heartbeat',
    bodyLimit: HEARTBEAT_BODY_LIMIT,
    handle: async (request, params, scope) => {
      const id = params.id ?? ''
      const isLive = (await live()).has(id)
      // A live id is one by construction; only another one is checked (400, or 404 below).
      if (!isLive) {
        const checked = Params.safeParse({ id })
        if (!checked.success) throw invalidRequest('param', checked.error.issues)
      }
      const sessionId = await sessionOf(request)
      const bearer = BEARER.exec(request.headers.get('authorization') ?? '')?.[1]
      const userId = bearer ? (await verifyAccessToken(bearer)).userId : undefined
      if (!isLive) throw streamsError('stream.not_live', 'No live stream with this id')
      const limit = { limiter: rateLimiter, rule, key: rateLimitKey(requestAddress(request, scope.server, options.trustProxy)) }
      refuseUnless(await viewers.limitedBeat(limit, id, sessionId, userId))
      return new Response(null, { status: 204 })
    },
  }
  return { routes: router, native }
}
