import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../../platform/http/env.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { CursorPart, decodeCursor, listEnvelope, pageQuery, toPage } from '../../platform/http/pagination.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import { usersError } from './errors.ts'
import type { FollowCursor, FollowRow, Follows } from './follows.ts'
import type { Profiles } from './profiles.ts'
import type { UserId as Id } from './schema.ts'
import { UserId } from './user-view.ts'

// Helix shapes: "Get Channel Followers" and "Get Followed Channels".
const Follower = z
  .object({ user_id: z.string(), user_login: z.string(), user_name: z.string(), followed_at: z.string() })
  .openapi('Follower')
const FollowedChannel = z
  .object({
    broadcaster_id: z.string(),
    broadcaster_login: z.string(),
    broadcaster_name: z.string(),
    followed_at: z.string(),
  })
  .openapi('FollowedChannel')

// Helix's follow lists add `total` to the usual list envelope.
const page = <T extends z.ZodType>(item: T) => listEnvelope(item).extend({ total: z.number().int() })

const params = z.object({ id: UserId })

/** The list's cursor, `[followed_at::text, user id]`, checked part by part. */
const followCursor = (after: string | undefined): FollowCursor | undefined =>
  decodeCursor(after, [CursorPart.timestamp, UserId])

export function followRoutes(follows: Follows, profiles: Profiles, authenticated: MiddlewareHandler<AppEnv>) {
  const router = createRouter()
  const route = routeDefiner(authenticated)

  const target = async (id: Id) => {
    if (!(await profiles.byId(id))) throw usersError('user.not_found', 'No user with this id')
    return id
  }
  const cursorKey = (row: FollowRow) => [row.cursorAt, row.userId] as const

  router.openapi(
    route({
      auth: 'required',
      operationId: 'followUser',
      method: 'put',
      path: '/api/users/{id}/follow',
      tags: ['follows'],
      summary: 'Follow a user (idempotent)',
      request: { params },
      responses: { 204: { description: 'You follow this user' }, ...problemResponses(400, 404) },
    }),
    async (c) => {
      await follows.follow(c.var.auth.userId, c.req.valid('param').id)
      return c.body(null, 204)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'unfollowUser',
      method: 'delete',
      path: '/api/users/{id}/follow',
      tags: ['follows'],
      summary: 'Unfollow a user (idempotent)',
      request: { params },
      responses: { 204: { description: 'You do not follow this user' }, ...problemResponses(400) },
    }),
    async (c) => {
      await follows.unfollow(c.var.auth.userId, c.req.valid('param').id)
      return c.body(null, 204)
    },
  )

  /** Both follow lists: same paging, same lookup, each in its Helix shape. */
  const followList = <T extends z.ZodType>(spec: {
    operationId: string
    path: string
    summary: string
    item: T
    load: Follows['followersOf']
    view: (row: FollowRow) => z.infer<T>
  }) =>
    router.openapi(
      route({
        auth: 'none',
        operationId: spec.operationId,
        method: 'get',
        path: spec.path,
        tags: ['follows'],
        summary: spec.summary,
        request: { params, query: pageQuery },
        responses: {
          200: { description: spec.summary, content: { 'application/json': { schema: page(spec.item) } } },
          ...problemResponses(400, 404),
        },
      }),
      async (c) => {
        const { first, after } = c.req.valid('query')
        const result = await spec.load(await target(c.req.valid('param').id), first, followCursor(after))
        return c.json({ total: result.total, ...toPage(result.rows, first, spec.view, cursorKey) }, 200)
      },
    )

  followList({
    operationId: 'listFollowers',
    path: '/api/users/{id}/followers',
    summary: "A user's followers, newest first",
    item: Follower,
    load: follows.followersOf,
    view: (row) => ({ user_id: row.userId, user_login: row.login, user_name: row.displayName, followed_at: row.followedAt }),
  })
  followList({
    operationId: 'listFollowedChannels',
    path: '/api/users/{id}/following',
    summary: 'Users this user follows, newest first',
    item: FollowedChannel,
    load: follows.followedBy,
    view: (row) => ({
      broadcaster_id: row.userId,
      broadcaster_login: row.login,
      broadcaster_name: row.displayName,
      followed_at: row.followedAt,
    }),
  })

  return router
}
