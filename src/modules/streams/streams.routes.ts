import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../../platform/http/env.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { decodeCursor, encodeCursor, listEnvelope, pageQuery } from '../../platform/http/pagination.ts'
import { Problem } from '../../platform/http/problem.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import { jsonAnswer, type SerializedJson, serializedJson } from '../../platform/http/serialized-json.ts'
import type { Directory, DirectoryPage, LiveStream } from './directory.ts'
import { streamsError } from './errors.ts'
import { Id } from './ids.ts'
import { jpegResponse, ThumbnailFile, thumbnailSize } from './thumbnail-size.ts'
import type { Thumbnails } from './thumbnails.ts'

/** A live stream with Helix's field names ("Get Streams"). */
const StreamView = z
  .object({
    id: z.string(),
    user_id: z.string(),
    user_login: z.string(),
    user_name: z.string(),
    game_id: z.string(),
    game_name: z.string(),
    type: z.literal('live'),
    title: z.string(),
    tags: z.array(z.string()),
    viewer_count: z.number().int(),
    started_at: z.string().openapi({ format: 'date-time' }),
    language: z.string(),
    thumbnail_url: z.string().openapi({ example: '/api/streams/thumbnails/twitchdev/{width}x{height}.jpg' }),
    is_mature: z.boolean(),
  })
  .openapi('Stream')
const StreamsPage = listEnvelope(StreamView)

const many = <T extends z.ZodType>(item: T) => z.union([item, z.array(item).max(100)]).optional()
const Listing = pageQuery.extend({
  game_id: many(Id),
  language: many(z.string().regex(/^([a-z]{2}|other)$/, 'an ISO 639-1 code or "other"')),
  user_id: many(Id),
  user_login: many(z.string().regex(/^[A-Za-z0-9_]{1,25}$/, 'a login')),
  type: z.enum(['all', 'live']).default('all'),
})

const list = (value: string | string[] | undefined) => (value === undefined ? [] : [value].flat())

const toStreamView = (stream: LiveStream): z.infer<typeof StreamView> => ({
  id: stream.id,
  user_id: stream.userId,
  user_login: stream.login,
  user_name: stream.displayName,
  game_id: stream.gameId,
  game_name: stream.gameName,
  type: 'live',
  title: stream.title,
  tags: stream.tags,
  viewer_count: stream.viewerCount,
  started_at: stream.startedAt.toISOString(),
  language: stream.language,
  thumbnail_url: `/api/streams/thumbnails/${stream.login}/{width}x{height}.jpg`,
  is_mature: stream.labels.length > 0,
})

const expired = () =>
  new Problem(400, 'Invalid query parameter: after: not a cursor of a listing of the last 10 minutes; start again without it', {
    code: 'request.invalid',
    errors: [{ field: 'after', message: 'expired or not issued here' }],
  })

/** The live directory. */
export function streamRoutes(directory: Directory, thumbnails: Thumbnails, authenticated: MiddlewareHandler<AppEnv>) {
  const router = createRouter()
  const route = routeDefiner(authenticated)
  // Keyed by the page itself: the directory hands its cached front page to every request for a
  // second, and that page is serialised once, not per request (most of a listing's cost).
  const bodies = new WeakMap<DirectoryPage, SerializedJson<z.infer<typeof StreamsPage>>>()
  const bodyOf = (page: DirectoryPage) => {
    let body = bodies.get(page)
    if (body === undefined) {
      body = serializedJson({ data: page.streams.map(toStreamView), pagination: page.next ? { cursor: encodeCursor(page.next) } : {} })
      bodies.set(page, body)
    }
    return body
  }

  router.openapi(
    route({
      auth: 'none',
      operationId: 'getStreams',
      method: 'get',
      path: '/api/streams',
      tags: ['streams'],
      summary: 'Live streams by viewers, most first (Helix "Get Streams")',
      description: 'Paging stays in the order of the first page: counts changing meanwhile never show a stream twice or skip one.',
      request: { query: Listing },
      responses: {
        200: { description: 'A page of live streams', content: { 'application/json': { schema: StreamsPage } } },
        ...problemResponses(400),
      },
    }),
    async (c) => {
      const query = c.req.valid('query')
      const after = decodeCursor(query.after, ['number', 'number'] as const)
      if (after && !after.every((n) => Number.isSafeInteger(n) && n >= 0)) throw expired()
      const filter = { gameIds: list(query.game_id), languages: list(query.language), userIds: list(query.user_id), logins: list(query.user_login).map((l) => l.toLowerCase()) }
      const page = await directory.page(filter, query.first, after)
      if (!page) throw expired()
      return jsonAnswer(c, bodyOf(page), 200)
    },
  )

  router.openapi(
    route({
      auth: 'none',
      operationId: 'getStreamThumbnail',
      method: 'get',
      path: '/api/streams/thumbnails/{login}/{size}',
      tags: ['streams'],
      summary: 'A live stream’s thumbnail at the size asked for (`thumbnail_url` with {width} and {height} filled in)',
      request: {
        params: z.object({ login: z.string().regex(/^[a-z0-9_]{1,25}$/, 'a login'), size: ThumbnailFile }),
      },
      responses: { 200: { description: 'image/jpeg', content: { 'image/jpeg': { schema: z.string().openapi({ format: 'binary' }) } } }, ...problemResponses(400, 404) },
    }),
    async (c) => {
      const { login, size } = c.req.valid('param')
      const { width, height } = thumbnailSize(size)
      const path = await thumbnails.file(login, width, height)
      if (!path) throw streamsError('thumbnail.not_found', 'No thumbnail for this stream yet')
      const jpeg = jpegResponse(path)
      return c.body(jpeg.body, 200, jpeg.headers)
    },
  )

  return router
}
