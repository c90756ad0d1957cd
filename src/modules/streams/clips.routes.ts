import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../../platform/http/env.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { decodeCursor, listEnvelope, pageQuery, toPage } from '../../platform/http/pagination.ts'
import { Problem } from '../../platform/http/problem.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import type { Clip, Clips } from './clips.ts'
import { streamsError } from './errors.ts'
import { BroadcasterId, Id } from './ids.ts'
import { MP4_RESPONSES, servedMp4 } from './media-file.ts'
import { jpegResponse } from './thumbnail-size.ts'

const ClipId = z.string().regex(/^[A-Za-z0-9_-]{16}$/, 'a clip id')

const ClipView = z
  .object({
    id: z.string(),
    url: z.string(),
    embed_url: z.string(),
    broadcaster_id: z.string(),
    broadcaster_name: z.string(),
    creator_id: z.string(),
    video_id: z.string(),
    game_id: z.string(),
    language: z.string(),
    title: z.string(),
    view_count: z.number().int(),
    created_at: z.string().openapi({ format: 'date-time' }),
    thumbnail_url: z.string().openapi({ description: 'Its 480×272 preview once ready, else ""' }),
    duration: z.number(),
    vod_offset: z.number().int().nullable(),
    is_featured: z.boolean(),
    status: z.enum(['processing', 'ready', 'failed']).openapi({ description: 'Not Helix: clips are cut in the background' }),
    failure: z.string().nullable(),
  })
  .openapi('Clip')

const toView = (clip: Clip): z.infer<typeof ClipView> => ({
  id: clip.id,
  url: `/api/clips/${clip.id}/file`,
  embed_url: `/api/clips/${clip.id}/file`,
  broadcaster_id: clip.broadcasterId,
  broadcaster_name: clip.broadcasterName,
  creator_id: clip.creatorId,
  video_id: clip.vodId,
  game_id: clip.gameId,
  language: clip.language,
  title: clip.title,
  view_count: clip.viewCount,
  created_at: clip.createdAt.toISOString(),
  thumbnail_url: clip.status === 'ready' ? `/api/clips/${clip.id}/preview-480x272.jpg` : '',
  duration: clip.duration,
  vod_offset: clip.vodOffset,
  is_featured: false,
  status: clip.status,
  failure: clip.failure,
})

const Create = z.object({
  broadcaster_id: BroadcasterId,
  duration: z.coerce.number().int().min(5).max(60).default(30),
  vod_id: Id.optional(),
  vod_offset: z.coerce.number().int().min(0).max(86_400 * 2).optional(),
})
const list = (value: string | string[] | undefined) => (value === undefined ? [] : [value].flat())

/** Clips: Helix "Create Clip" (live or from a VOD) and "Get Clips", and the MP4. */
export function clipRoutes(clips: Clips, authenticated: MiddlewareHandler<AppEnv>) {
  const router = createRouter()
  const route = routeDefiner(authenticated)

  router.openapi(
    route({
      auth: 'required',
      operationId: 'createClip',
      method: 'post',
      path: '/api/clips',
      tags: ['clips'],
      summary: 'Clip the last `duration` seconds of a live stream, or of a VOD ending at `vod_offset`',
      request: { query: Create },
      responses: {
        202: {
          description: 'Being cut: poll GET /api/clips?id= for its status',
          content: { 'application/json': { schema: z.object({ data: z.array(z.object({ id: z.string(), edit_url: z.string() })) }) } },
        },
        ...problemResponses(400, 404, 409),
      },
    }),
    async (c) => {
      const query = c.req.valid('query')
      const me = c.var.auth.userId
      if ((query.vod_id === undefined) !== (query.vod_offset === undefined)) {
        throw new Problem(400, 'Give vod_id and vod_offset together, or neither for a live clip', { code: 'request.invalid' })
      }
      const id =
        query.vod_id !== undefined
          ? await clips.fromVod(query.broadcaster_id, me, query.vod_id, query.vod_offset!, query.duration)
          : await clips.fromLive(query.broadcaster_id, me, query.duration)
      return c.json({ data: [{ id, edit_url: `/api/clips?id=${id}` }] }, 202)
    },
  )

  router.openapi(
    route({
      auth: 'none',
      operationId: 'getClips',
      method: 'get',
      path: '/api/clips',
      tags: ['clips'],
      summary: 'Clips by id, or a broadcaster’s (Helix "Get Clips")',
      request: { query: pageQuery.extend({ id: z.union([ClipId, z.array(ClipId).min(1).max(100)]).optional(), broadcaster_id: BroadcasterId.optional() }) },
      responses: { 200: { description: 'A page of clips', content: { 'application/json': { schema: listEnvelope(ClipView) } } }, ...problemResponses(400) },
    }),
    async (c) => {
      const query = c.req.valid('query')
      const ids = list(query.id)
      if ((ids.length > 0) === (query.broadcaster_id !== undefined)) {
        throw new Problem(400, 'Give either id (up to 100) or broadcaster_id', { code: 'request.invalid' })
      }
      const [after] = decodeCursor(query.after, ['string'] as const) ?? []
      if (after !== undefined && !ClipId.safeParse(after).success) throw new Problem(400, 'Invalid query parameter: after', { code: 'request.invalid' })
      const rows = await clips.list({ ids, broadcasterId: query.broadcaster_id }, query.first, after)
      return c.json(toPage(rows, query.first, toView, (row) => [row.id]), 200)
    },
  )

  router.openapi(
    route({
      auth: 'none',
      operationId: 'getClipFile',
      method: 'get',
      path: '/api/clips/{id}/file',
      tags: ['clips'],
      summary: 'The clip’s MP4, seekable (Range); a playback from its start counts a view',
      request: { params: z.object({ id: ClipId }) },
      responses: MP4_RESPONSES,
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const answer = await servedMp4(await clips.fileOf(id), c.req.header('range'), () => clips.played(id))
      if (!answer) throw streamsError('clip.not_found', 'No ready clip with this id')
      return c.body(answer.body, answer.status, answer.headers)
    },
  )

  router.openapi(
    route({
      auth: 'none',
      operationId: 'getClipPreview',
      method: 'get',
      path: '/api/clips/{id}/preview-480x272.jpg',
      tags: ['clips'],
      summary: 'The clip’s preview (its `thumbnail_url`)',
      request: { params: z.object({ id: ClipId }) },
      responses: { 200: { description: 'image/jpeg', content: { 'image/jpeg': { schema: z.string().openapi({ format: 'binary' }) } } }, ...problemResponses(400, 404) },
    }),
    async (c) => {
      const path = await clips.thumbnailOf(c.req.valid('param').id)
      if (!path) throw streamsError('thumbnail.not_found', 'No preview for this clip')
      const jpeg = jpegResponse(path)
      return c.body(jpeg.body, 200, jpeg.headers)
    },
  )

  return router
}
