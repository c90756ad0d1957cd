import { basename } from 'node:path'
import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../../platform/http/env.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import { secretChecker } from './callback-secret.ts'
import { streamsError } from './errors.ts'
import type { LiveSessions } from './live-sessions.ts'
import { hashStreamKey, type StreamKeys } from './stream-keys.ts'
import type { Vods } from './vods.ts'

/**
 * What nginx-rtmp posts (form-encoded) to every `on_*` callback; fields it adds that we do not
 * read are dropped. `name` is the stream key as the broadcaster sent it, `clientid` the
 * publishing connection.
 */
const Callback = z
  .object({
    call: z.string().max(32).optional(),
    name: z.string().min(1).max(512),
    clientid: z.string().regex(/^[0-9]{1,20}$/, 'a client id (digits)'),
    app: z.string().max(256).optional(),
  })
  .openapi('RtmpCallback')

/** on_record_done in the hls application: `name` is the login the stream was renamed to. */
const RecordDone = z
  .object({
    name: z.string().regex(/^[a-z0-9_]{1,25}$/, 'a login'),
    path: z.string().min(1).max(1024),
  })
  .openapi('RtmpRecordDone')

export const Secret = z.object({ secret: z.string().max(256).openapi({ description: 'STREAMS_INGEST_SECRET' }) })


/**
 * nginx-rtmp's `on_publish`, `on_update` and `on_publish_done`, for the media server only: the
 * shared secret is in the path (nginx-rtmp cannot send headers), compared in constant time.
 * A publish with a channel's key is answered `302 Location: <login>`, which renames the
 * stream, so the key never reaches the HLS application or a playback URL; any 4xx refuses it
 * (an unknown key, a channel live already, a suspended broadcaster).
 */
export function ingestRoutes(
  parts: { sessions: LiveSessions; keys: StreamKeys; vods: Vods },
  ingestSecret: string,
  authenticated: MiddlewareHandler<AppEnv>,
) {
  const { sessions, keys, vods } = parts
  const router = createRouter()
  const route = routeDefiner(authenticated)
  const checkSecret = secretChecker(ingestSecret)
  const callback = <const R extends Record<number, { description: string }>>(operationId: string, path: string, summary: string, responses: R) =>
    route({
      auth: 'none',
      operationId,
      method: 'post',
      path: `/api/ingest/rtmp/{secret}/${path}`,
      tags: ['ingest'],
      summary,
      bodyLimit: 4096,
      request: {
        params: Secret,
        body: { required: true, content: { 'application/x-www-form-urlencoded': { schema: Callback } } },
      },
      responses: { ...responses, ...problemResponses(400, 403) },
    })

  router.openapi(
    callback('rtmpPublish', 'publish', 'nginx-rtmp on_publish: allow a stream key, renaming the stream to the login', {
      302: { description: 'Allowed; `Location` is the channel login, the stream’s new name (403: an unknown key or a suspended broadcaster)' },
      // Declared for the document's sake (an operation lists a 2xx): a 2xx would allow the stream under the key's name.
      204: { description: 'Never sent: a valid key is always answered 302, so the key never names the stream' },
      409: { description: 'The channel is live already (a second publisher)' },
    }),
    async (c) => {
      checkSecret(c.req.valid('param').secret)
      const form = c.req.valid('form')
      const key = await keys.verify(form.name)
      if (!key) throw streamsError('stream_key.invalid', 'Unknown stream key')
      const started = await sessions.start(key, form.clientid)
      return c.body(null, 302, { Location: started.login })
    },
  )

  router.openapi(
    callback('rtmpUpdate', 'update', 'nginx-rtmp on_update: the session goes on, or is cut (4xx)', {
      200: { description: 'Still live (or not a publisher’s update: the push to hls updates as update_play)' },
      404: { description: 'No such live session: the media server drops it' },
    }),
    async (c) => {
      checkSecret(c.req.valid('param').secret)
      const form = c.req.valid('form')
      // The push to the hls application is a session of `ingest` too: it updates as `update_play`, named after the login.
      if (form.call !== 'update_publish') return c.body(null, 200)
      if (!(await sessions.touch(hashStreamKey(form.name), form.clientid))) throw streamsError('stream.not_live', 'No live session for this stream')
      return c.body(null, 200)
    },
  )

  router.openapi(
    callback('rtmpPublishDone', 'publish_done', 'nginx-rtmp on_publish_done: the push ended', {
      200: { description: 'Recorded (also when no session was live)' },
    }),
    async (c) => {
      checkSecret(c.req.valid('param').secret)
      const form = c.req.valid('form')
      await sessions.end(hashStreamKey(form.name), form.clientid, 'publish_done')
      return c.body(null, 200)
    },
  )

  router.openapi(
    route({
      auth: 'none',
      operationId: 'rtmpRecordDone',
      method: 'post',
      path: '/api/ingest/rtmp/{secret}/record_done',
      tags: ['ingest'],
      summary: "nginx-rtmp on_record_done (the hls application's): the recording becomes a VOD",
      bodyLimit: 4096,
      request: {
        params: Secret,
        body: { required: true, content: { 'application/x-www-form-urlencoded': { schema: RecordDone } } },
      },
      responses: { 200: { description: 'Queued for remuxing (or not a live session’s)' }, ...problemResponses(400, 403) },
    }),
    async (c) => {
      checkSecret(c.req.valid('param').secret)
      const form = c.req.valid('form')
      // Only the file's name is taken: it is looked for in STREAMS_RECORDINGS_DIR, never at a path the caller chose.
      await vods.recorded(form.name, basename(form.path))
      return c.body(null, 200)
    },
  )

  return router
}
