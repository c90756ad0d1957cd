import { createRoute, z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import { hasPgCode, PG } from '../../platform/db/errors.ts'
import type { AppEnv } from '../../platform/http/env.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { decodeCursor, listEnvelope, pageQuery, toPage } from '../../platform/http/pagination.ts'
import { Problem } from '../../platform/http/problem.ts'
import { createRouter } from '../../platform/http/router.ts'
import type { FollowRow, Follows } from './follows.ts'
import type { Profiles } from './profiles.ts'
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

export function followRoutes(follows: Follows, profiles: Profiles, authenticated: MiddlewareHandler<AppEnv>) {
  const router = createRouter()

  const target = async (id: string) => {
    const userId = Number(id)
    if (!(await profiles.byId(userId))) throw new Problem(404, 'No user with this id')
    return userId
  }
  const cursorKey = (row: FollowRow) => [row.cursorAt, row.userId] as const

  router.openapi(
    createRoute({
      method: 'put',
      path: '/api/users/{id}/follow',
      tags: ['follows'],
      summary: 'Follow a user (idempotent)',
      security: [{ bearer: [] }],
      middleware: [authenticated] as const,
      request: { params },
      responses: { 204: { description: 'You follow this user' }, ...problemResponses(400, 401, 404) },
    }),
    async (c) => {
      const followedId = Number(c.req.valid('param').id)
      const followerId = Number(c.var.auth.userId)
      if (followedId === followerId) throw new Problem(400, 'You cannot follow yourself')
      try {
        await follows.follow(followerId, followedId)
      } catch (error) {
        if (hasPgCode(error, PG.foreignKeyViolation)) throw new Problem(404, 'No user with this id')
        throw error
      }
      return c.body(null, 204)
    },
  )

  router.openapi(
    createRoute({
      method: 'delete',
      path: '/api/users/{id}/follow',
      tags: ['follows'],
      summary: 'Unfollow a user (idempotent)',
      security: [{ bearer: [] }],
      middleware: [authenticated] as const,
      request: { params },
      responses: { 204: { description: 'You do not follow this user' }, ...problemResponses(400, 401) },
    }),
    async (c) => {
      await follows.unfollow(Number(c.var.auth.userId), Number(c.req.valid('param').id))
      return c.body(null, 204)
    },
  )

  /** Both follow lists: same paging, same lookup, each in its Helix shape. */
  const followList = <T extends z.ZodType>(spec: {
    path: string
    summary: string
    item: T
    load: Follows['followersOf']
    view: (row: FollowRow) => z.infer<T>
  }) =>
    router.openapi(
      createRoute({
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
        const cursor = decodeCursor(after, ['string', 'number'] as const)
        const result = await spec.load(await target(c.req.valid('param').id), first, cursor)
        return c.json({ total: result.total, ...toPage(result.rows, first, spec.view, cursorKey) }, 200)
      },
    )

  followList({
    path: '/api/users/{id}/followers',
    summary: "A user's followers, newest first",
    item: Follower,
    load: follows.followersOf,
    view: (row) => ({ user_id: String(row.userId), user_login: row.login, user_name: row.displayName, followed_at: row.followedAt }),
  })
  followList({
    path: '/api/users/{id}/following',
    summary: 'Users this user follows, newest first',
    item: FollowedChannel,
    load: follows.followedBy,
    view: (row) => ({
      broadcaster_id: String(row.userId),
      broadcaster_login: row.login,
      broadcaster_name: row.displayName,
      followed_at: row.followedAt,
    }),
  })

  return router
}
