import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import type { AppEnv } from '../../platform/http/env.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import { ChannelView, CLASSIFICATION_LABELS, toChannelView } from './channel-view.ts'
import type { Channels } from './channels.ts'
import { streamsError } from './errors.ts'
import { ownerOnly } from './ownership.ts'
import { BroadcasterId, Id } from './ids.ts'
import type { Ended, LiveSessions } from './live-sessions.ts'
import type { StreamKeys } from './stream-keys.ts'

const Tag = z
  .string()
  .min(1)
  .max(25)
  .regex(/^[\p{L}\p{N}]+$/u, 'letters and digits only')

const ChannelUpdate = z
  .strictObject({
    game_id: z.union([z.literal(''), Id]).optional().openapi({ description: 'A category id, or "" for none' }),
    broadcaster_language: z
      .string()
      .regex(/^([a-z]{2}|other)$/, 'an ISO 639-1 code or "other"')
      .optional(),
    title: z.string().trim().min(1).max(140).optional(),
    delay: z.number().int().min(0).max(900).optional(),
    tags: z
      .array(Tag)
      .max(10)
      .refine((tags) => new Set(tags.map((t) => t.toLowerCase())).size === tags.length, 'tags must be unique, in any case')
      .optional(),
    content_classification_labels: z
      .array(z.strictObject({ id: z.enum(CLASSIFICATION_LABELS), is_enabled: z.boolean() }))
      .max(CLASSIFICATION_LABELS.length)
      .optional(),
    is_branded_content: z.boolean().optional(),
  })
  .openapi('ChannelUpdate')

const Broadcasters = z.object({
  broadcaster_id: z.union([BroadcasterId, z.array(BroadcasterId).min(1).max(100)]).openapi({ description: 'Up to 100 (repeat the parameter)' }),
})
const Owner = z.object({ broadcaster_id: BroadcasterId })
const KeyView = z.object({ data: z.array(z.object({ stream_key: z.string() })) })

/** The cut a key reset calls for at the media server that carries the session. */
export type Cut = (session: Pick<Ended, 'login' | 'clientId' | 'server'>) => Promise<void>

/** Channel information and the owner's stream key. */
export function channelRoutes(
  database: ModuleDatabase,
  parts: { channels: Channels; keys: StreamKeys; sessions: LiveSessions; cut: Cut },
  authenticated: MiddlewareHandler<AppEnv>,
) {
  const { channels, keys, sessions, cut } = parts
  const router = createRouter()
  const route = routeDefiner(authenticated)

  router.openapi(
    route({
      auth: 'none',
      operationId: 'getChannels',
      method: 'get',
      path: '/api/channels',
      tags: ['channels'],
      summary: 'Channel information (Helix "Get Channel Information")',
      request: { query: Broadcasters },
      responses: {
        200: { description: 'The channels found', content: { 'application/json': { schema: z.object({ data: z.array(ChannelView) }) } } },
        ...problemResponses(400),
      },
    }),
    async (c) => {
      const ids = [c.req.valid('query').broadcaster_id].flat()
      return c.json({ data: (await channels.byIds(ids)).map(toChannelView) }, 200)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'updateChannel',
      method: 'patch',
      path: '/api/channels',
      tags: ['channels'],
      summary: 'Edit your channel (Helix "Modify Channel Information"; a delay only for partners)',
      request: { query: Owner, body: { required: true, content: { 'application/json': { schema: ChannelUpdate } } } },
      responses: { 204: { description: 'Updated' }, ...problemResponses(400, 403, 404) },
    }),
    async (c) => {
      const { broadcaster_id } = c.req.valid('query')
      ownerOnly(c.var.auth.userId, broadcaster_id)
      const body = c.req.valid('json')
      // From the token's roles, which a revoked partner status reaches at once (the revocation feed).
      const by = { partner: c.var.auth.roles.includes('partner') }
      await channels.update(broadcaster_id, {
        gameId: body.game_id,
        language: body.broadcaster_language,
        title: body.title,
        delay: body.delay,
        tags: body.tags,
        contentClassificationLabels: body.content_classification_labels?.filter((l) => l.is_enabled).map((l) => l.id),
        isBrandedContent: body.is_branded_content,
      }, by)
      return c.body(null, 204)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'getStreamKey',
      method: 'get',
      path: '/api/streams/key',
      tags: ['channels'],
      summary: 'Your stream key (Helix "Get Stream Key")',
      request: { query: Owner },
      responses: { 200: { description: 'The key', content: { 'application/json': { schema: KeyView } } }, ...problemResponses(400, 403, 404) },
    }),
    async (c) => {
      const { broadcaster_id } = c.req.valid('query')
      ownerOnly(c.var.auth.userId, broadcaster_id)
      const key = await keys.read(broadcaster_id)
      if (!key) throw streamsError('channel.not_found', 'No channel for this broadcaster_id')
      c.header('cache-control', 'no-store')
      return c.json({ data: [{ stream_key: key }] }, 200)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'resetStreamKey',
      method: 'post',
      path: '/api/streams/key/reset',
      tags: ['channels'],
      summary: 'A new stream key: the old one stops working and a stream live on it is cut',
      request: { query: Owner },
      responses: { 200: { description: 'The new key', content: { 'application/json': { schema: KeyView } } }, ...problemResponses(400, 403, 404) },
    }),
    async (c) => {
      const { broadcaster_id } = c.req.valid('query')
      ownerOnly(c.var.auth.userId, broadcaster_id)
      const { key, ended } = await database.transaction(async (tx) => {
        const key = await keys.reset(tx, broadcaster_id)
        if (!key) throw streamsError('channel.not_found', 'No channel for this broadcaster_id')
        return { key, ended: await sessions.endChannel(tx, broadcaster_id, 'key_reset') }
      })
      // After the commit: should the cut fail, the next on_update (a 404 now) cuts it anyway.
      if (ended) await cut(ended).catch((error: unknown) => c.env.log.warn({ err: error }, 'could not cut the stream at the media server'))
      c.header('cache-control', 'no-store')
      return c.json({ data: [{ stream_key: key }] }, 200)
    },
  )

  return router
}
