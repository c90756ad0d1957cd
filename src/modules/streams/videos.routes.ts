import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../../platform/http/env.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { decodeCursor, listEnvelope, pageQuery, toPage } from '../../platform/http/pagination.ts'
import { Problem } from '../../platform/http/problem.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import { streamsError } from './errors.ts'
import { Id } from './ids.ts'
import { MP4_RESPONSES, servedMp4 } from './media-file.ts'
import { jpegResponse, ThumbnailFile, thumbnailSize } from './thumbnail-size.ts'
import type { Vod, Vods } from './vods.ts'

/** Helix's duration text: `1h2m3s`, `3m21s`, `8s`. */
export function helixDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  return `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${s}s`
}

const VideoView = z
  .object({
    id: z.string(),
    stream_id: z.string(),
    user_id: z.string(),
    user_login: z.string(),
    user_name: z.string(),
    title: z.string(),
    description: z.string(),
    created_at: z.string().openapi({ format: 'date-time' }),
    published_at: z.string().openapi({ format: 'date-time' }),
    url: z.string().openapi({ description: 'The MP4 (faststart), served here' }),
    thumbnail_url: z.string().openapi({ example: '/api/videos/7/thumbnails/%{width}x%{height}.jpg', description: 'Helix’s %{width} and %{height} to fill in' }),
    viewable: z.literal('public'),
    view_count: z.number().int(),
    language: z.string(),
    type: z.literal('archive'),
    duration: z.string().openapi({ example: '1h2m3s' }),
    muted_segments: z.null(),
  })
  .openapi('Video')

const toView = (vod: Vod): z.infer<typeof VideoView> => ({
  id: vod.id,
  stream_id: vod.streamId,
  user_id: vod.userId,
  user_login: vod.login,
  user_name: vod.displayName,
  title: vod.title,
  description: '',
  created_at: vod.createdAt.toISOString(),
  published_at: (vod.publishedAt ?? vod.createdAt).toISOString(),
  url: `/api/videos/${vod.id}/file`,
  thumbnail_url: `/api/videos/${vod.id}/thumbnails/%{width}x%{height}.jpg`,
  viewable: 'public',
  view_count: vod.viewCount,
  language: vod.language,
  type: 'archive',
  duration: helixDuration(vod.durationSeconds ?? 0),
  muted_segments: null,
})

const Ids = z.union([Id, z.array(Id).min(1).max(100)])
const list = (value: string | string[] | undefined) => (value === undefined ? [] : [value].flat())

/** VODs: Helix "Get Videos" and "Delete Videos", and the MP4 itself. */
export function videoRoutes(vods: Vods, authenticated: MiddlewareHandler<AppEnv>) {
  const router = createRouter()
  const route = routeDefiner(authenticated)

  router.openapi(
    route({
      auth: 'none',
      operationId: 'getVideos',
      method: 'get',
      path: '/api/videos',
      tags: ['videos'],
      summary: 'VODs by id, or a user’s, newest first (Helix "Get Videos")',
      request: { query: pageQuery.extend({ id: Ids.optional(), user_id: Id.optional() }) },
      responses: { 200: { description: 'A page of VODs', content: { 'application/json': { schema: listEnvelope(VideoView) } } }, ...problemResponses(400) },
    }),
    async (c) => {
      const query = c.req.valid('query')
      const ids = list(query.id)
      if ((ids.length > 0) === (query.user_id !== undefined)) {
        throw new Problem(400, 'Give either id (up to 100) or user_id', { code: 'request.invalid' })
      }
      const [after] = decodeCursor(query.after, ['string'] as const) ?? []
      if (after !== undefined && !Id.safeParse(after).success) throw new Problem(400, 'Invalid query parameter: after', { code: 'request.invalid' })
      const rows = await vods.list({ ids, userId: query.user_id }, query.first, after)
      return c.json(toPage(rows, query.first, toView, (row) => [row.id]), 200)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'deleteVideos',
      method: 'delete',
      path: '/api/videos',
      tags: ['videos'],
      summary: 'Delete your VODs (Helix "Delete Videos")',
      request: { query: z.object({ id: Ids }) },
      responses: {
        200: { description: 'The ids deleted', content: { 'application/json': { schema: z.object({ data: z.array(z.string()) }) } } },
        ...problemResponses(400, 404),
      },
    }),
    async (c) => {
      const deleted = await vods.remove(c.var.auth.userId, list(c.req.valid('query').id))
      if (deleted.length === 0) throw streamsError('video.not_found', 'None of these VODs is yours')
      return c.json({ data: deleted }, 200)
    },
  )

  router.openapi(
    route({
      auth: 'none',
      operationId: 'getVideoFile',
      method: 'get',
      path: '/api/videos/{id}/file',
      tags: ['videos'],
      summary: 'The VOD’s MP4, seekable (Range); a playback from its start counts a view',
      request: { params: z.object({ id: Id }) },
      responses: MP4_RESPONSES,
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const answer = await servedMp4(await vods.fileOf(id), c.req.header('range'), () => vods.played(id))
      if (!answer) throw streamsError('video.not_found', 'No ready VOD with this id')
      return c.body(answer.body, answer.status, answer.headers)
    },
  )

  router.openapi(
    route({
      auth: 'none',
      operationId: 'getVideoThumbnail',
      method: 'get',
      path: '/api/videos/{id}/thumbnails/{size}',
      tags: ['videos'],
      summary: 'The VOD’s thumbnail at the size asked for (`thumbnail_url` with %{width} and %{height} filled in)',
      request: { params: z.object({ id: Id, size: ThumbnailFile }) },
      responses: { 200: { description: 'image/jpeg', content: { 'image/jpeg': { schema: z.string().openapi({ format: 'binary' }) } } }, ...problemResponses(400, 404) },
    }),
    async (c) => {
      const { id, size } = c.req.valid('param')
      const path = await vods.thumbnail(id, thumbnailSize(size))
      if (!path) throw streamsError('thumbnail.not_found', 'No thumbnail for this VOD')
      const jpeg = jpegResponse(path)
      return c.body(jpeg.body, 200, jpeg.headers)
    },
  )

  return router
}
