import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../../platform/http/env.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { decodeCursor, listEnvelope, pageQuery, toPage } from '../../platform/http/pagination.ts'
import { Problem } from '../../platform/http/problem.ts'
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

// `followed_at::text` as Postgres writes it, e.g. 2026-12-01 20:46:15.123456+00.
const CURSOR_TIME = /^(\d{4})-(\d{2})-(\d{2}) ([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?[+-](0\d|1[0-4])(:[0-5]\d)?$/

/** True when Postgres will cast `text` to a timestamptz: the pattern, and a day the month has. */
function isCursorTime(text: string): boolean {
  const [, year, month, day] = CURSOR_TIME.exec(text)?.map(Number) ?? []
  if (!year || month === undefined || day === undefined) return false
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day
}

/** The list's cursor, checked part by part: a forged one is a 400, never a failed cast in SQL. */
function followCursor(after: string | undefined): FollowCursor | undefined {
  const cursor = decodeCursor(after, ['string', 'string'] as const)
  if (cursor && !(isCursorTime(cursor[0]) && UserId.safeParse(cursor[1]).success)) {
    throw new Problem(400, 'Invalid query parameter: after: not a cursor this list issued', {
      code: 'request.invalid',
      errors: [{ field: 'after', message: 'not a cursor this list issued' }],
    })
  }
  return cursor
}

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
