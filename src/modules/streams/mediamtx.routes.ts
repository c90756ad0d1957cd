import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../../platform/http/env.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import { secretChecker } from './callback-secret.ts'
import { streamsError } from './errors.ts'
import { Secret } from './ingest.routes.ts'
import type { LiveSessions } from './live-sessions.ts'
import { hashStreamKey, type StreamKeys } from './stream-keys.ts'

/** MediaMTX's HTTP authentication request (`authMethod: http`). */
const AuthRequest = z
  .object({
    user: z.string().max(256).optional(),
    password: z.string().max(256).optional(),
    token: z.string().max(4096).optional(),
    ip: z.string().max(64).optional(),
    action: z.string().max(32),
    path: z.string().max(256),
    protocol: z.string().max(32).optional(),
    id: z.string().max(64).nullish(),
    query: z.string().max(2048).optional(),
  })
  .openapi('MediaMtxAuth')

/** What deploy/ingest/mediamtx.yml's runOnAvailable / runOnUnavailable hooks post (form-encoded, from MTX_* variables). */
const Hook = z
  .object({ path: z.string().min(1).max(256), query: z.string().max(2048).default(''), id: z.string().min(1).max(64) })
  .openapi('MediaMtxHook')

/** The stream key of a MediaMTX publish: it travels as `?key=` (MediaMTX cannot rename a path). */
const keyIn = (query: string) => new URLSearchParams(query).get('key') ?? ''

/**
 * MediaMTX: its auth hook allows a publish to path `<login>` with that channel's key, its
 * broadcaster not suspended (reads and
 * playback are allowed without Ondes), and its runOnAvailable / runOnUnavailable hooks start and
 * end the live session. Same shared secret in the URL as nginx-rtmp's callbacks.
 */
export function mediaMtxRoutes(
  parts: {
    sessions: LiveSessions
    keys: StreamKeys
    loginOf: (broadcasterId: string) => Promise<string | undefined>
    suspended: (broadcasterId: string) => Promise<boolean>
  },
  ingestSecret: string,
  authenticated: MiddlewareHandler<AppEnv>,
) {
  const { sessions, keys, loginOf, suspended } = parts
  const router = createRouter()
  const route = routeDefiner(authenticated)
  const checkSecret = secretChecker(ingestSecret)
  /** The key's channel, when the key is one and its channel's login is `path`. */
  const keyFor = async (path: string, query: string) => {
    const key = await keys.verify(keyIn(query))
    if (!key || (await loginOf(key.broadcasterId)) !== path) throw streamsError('stream_key.invalid', 'Not this path’s stream key')
    return key
  }
  const hook = (operationId: string, name: string, summary: string) =>
    route({
      auth: 'none',
      operationId,
      method: 'post',
      path: `/api/ingest/mediamtx/{secret}/${name}`,
      tags: ['ingest'],
      summary,
      bodyLimit: 4096,
      request: { params: Secret, body: { required: true, content: { 'application/x-www-form-urlencoded': { schema: Hook } } } },
      responses: { 200: { description: 'Done' }, ...problemResponses(400, 403, 409) },
    })

  router.openapi(
    route({
      auth: 'none',
      operationId: 'mediaMtxAuth',
      method: 'post',
      path: '/api/ingest/mediamtx/{secret}/auth',
      tags: ['ingest'],
      summary: 'MediaMTX authMethod http: publish with the path’s stream key, unless its broadcaster is suspended; read and playback open',
      bodyLimit: 8192,
      request: { params: Secret, body: { required: true, content: { 'application/json': { schema: AuthRequest } } } },
      responses: { 200: { description: 'Allowed' }, ...problemResponses(400, 403) },
    }),
    async (c) => {
      checkSecret(c.req.valid('param').secret)
      const body = c.req.valid('json')
      if (body.action === 'read' || body.action === 'playback') return c.body(null, 200)
      if (body.action !== 'publish') throw streamsError('ingest.forbidden', 'Only publish, read and playback are for Ondes to allow')
      const key = await keyFor(body.path, body.query ?? '')
      // Refused before MediaMTX takes the stream; runOnAvailable's start refuses it too, should a suspension come between.
      if (await suspended(key.broadcasterId)) throw streamsError('broadcaster.suspended', 'This broadcaster is suspended')
      return c.body(null, 200)
    },
  )

  router.openapi(hook('mediaMtxReady', 'ready', 'MediaMTX runOnAvailable (runOnReady before it was renamed): the published path is live'), async (c) => {
    checkSecret(c.req.valid('param').secret)
    const form = c.req.valid('form')
    await sessions.start(await keyFor(form.path, form.query), form.id, 'mediamtx')
    return c.body(null, 200)
  })

  router.openapi(hook('mediaMtxNotReady', 'not_ready', 'MediaMTX runOnUnavailable (runOnNotReady before): the path stopped'), async (c) => {
    checkSecret(c.req.valid('param').secret)
    const form = c.req.valid('form')
    await sessions.end(hashStreamKey(keyIn(form.query)), form.id, 'publish_done')
    return c.body(null, 200)
  })

  return router
}
