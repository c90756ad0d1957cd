import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../../platform/http/env.ts'
import { BigintId } from '../../platform/http/ids.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { CursorPart, decodeCursor, pageQuery, toPage } from '../../platform/http/pagination.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import { safeText } from '../../platform/http/text.ts'
import { MAX_TIMEOUT_SECONDS, type Bans, type ListedBan } from './bans.ts'
import { ModeratedChannelQuery, UserIds, type ModerationRequests } from './moderation-requests.ts'
import type { Moderation } from './moderation.ts'

const BanRequest = z
  .strictObject({
    data: z.strictObject({
      user_id: BigintId,
      duration: z.number().int().min(1).max(MAX_TIMEOUT_SECONDS).optional().openapi({ description: 'Seconds of a timeout; left out for a ban' }),
      reason: safeText({ max: 500 }).optional(),
    }),
  })
  .openapi('BanRequest')

const BanView = z.object({
  broadcaster_id: z.string(),
  moderator_id: z.string(),
  user_id: z.string(),
  created_at: z.string().openapi({ format: 'date-time' }),
  end_time: z.string().nullable().openapi({ description: 'When a timeout ends; null for a ban' }),
})

const BannedView = z.object({
  user_id: z.string(),
  user_login: z.string(),
  user_name: z.string(),
  expires_at: z.string().openapi({ description: "When a timeout ends; '' for a ban" }),
  created_at: z.string().openapi({ format: 'date-time' }),
  reason: z.string(),
  moderator_id: z.string(),
  moderator_login: z.string(),
  moderator_name: z.string(),
})
const BannedPage = z.object({ data: z.array(BannedView), pagination: z.object({ cursor: z.string().optional() }) })

const banned = (b: ListedBan) => ({
  user_id: b.userId,
  user_login: b.login,
  user_name: b.displayName,
  expires_at: b.expiresAt?.toISOString() ?? '',
  created_at: b.createdAt.toISOString(),
  reason: b.reason,
  moderator_id: b.moderatorId,
  moderator_login: b.moderatorLogin,
  moderator_name: b.moderatorName,
})

/** Helix's bans: ban or time out, unban, and list who is banned — the same path as `/ban` and `/timeout` in chat. */
export function banRoutes(deps: { moderation: Moderation; bans: Bans; requests: ModerationRequests }, authenticated: MiddlewareHandler<AppEnv>) {
  const { moderation, bans, requests } = deps
  const router = createRouter()
  const route = routeDefiner(authenticated)

  router.openapi(
    route({
      auth: 'required',
      operationId: 'banUser',
      method: 'post',
      path: '/api/moderation/bans',
      tags: ['moderation'],
      summary: 'Ban a user, or time them out for `duration` seconds (Helix "Ban User"); a timeout replaces one in force',
      request: { query: ModeratedChannelQuery, body: { required: true, content: { 'application/json': { schema: BanRequest } } } },
      responses: {
        200: { description: 'Banned', content: { 'application/json': { schema: z.object({ data: z.array(BanView) }) } } },
        ...problemResponses(400, 403, 404),
      },
    }),
    async (c) => {
      const { broadcaster_id, moderator_id } = c.req.valid('query')
      const { data } = c.req.valid('json')
      const actorId = requests.actingAs(c.var.auth.userId, moderator_id)
      const channel = await requests.channel(broadcaster_id)
      await moderation.requireModerator(channel.id, actorId)
      const ban = await moderation.ban(channel, actorId, await requests.target(data.user_id), { seconds: data.duration, reason: data.reason ?? '' })
      return c.json(
        {
          data: [
            {
              broadcaster_id: channel.id,
              moderator_id: actorId,
              user_id: ban.userId,
              created_at: ban.createdAt.toISOString(),
              end_time: ban.expiresAt?.toISOString() ?? null,
            },
          ],
        },
        200,
      )
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'unbanUser',
      method: 'delete',
      path: '/api/moderation/bans',
      tags: ['moderation'],
      summary: 'Lift a ban or timeout (Helix "Unban User")',
      request: { query: ModeratedChannelQuery.extend({ user_id: BigintId }) },
      responses: { 204: { description: 'Lifted' }, ...problemResponses(400, 403, 404) },
    }),
    async (c) => {
      const { broadcaster_id, moderator_id, user_id } = c.req.valid('query')
      const actorId = requests.actingAs(c.var.auth.userId, moderator_id)
      const channel = await requests.channel(broadcaster_id)
      await moderation.requireModerator(channel.id, actorId)
      await moderation.unban(channel, actorId, await requests.target(user_id))
      return c.body(null, 204)
    },
  )

  const ListQuery = pageQuery.extend({ broadcaster_id: BigintId, user_id: UserIds })
  const listRoute = (operationId: string, path: string, summary: string) =>
    route({
      auth: 'required',
      operationId,
      method: 'get',
      path,
      tags: ['moderation'],
      summary,
      request: { query: ListQuery },
      responses: { 200: { description: 'A page of bans in force', content: { 'application/json': { schema: BannedPage } } }, ...problemResponses(400, 403, 404) },
    })
  const list = async ({ broadcaster_id, user_id, first, after }: z.infer<typeof ListQuery>, callerId: string) => {
    await moderation.requireModerator(broadcaster_id, callerId)
    const cursor = decodeCursor(after, [CursorPart.timestamp, CursorPart.bigint])
    const rows = await bans.list(broadcaster_id, { first: first + 1, after: cursor, userIds: user_id, now: new Date() })
    return toPage(rows, first, banned, (b) => b.cursor)
  }
  router.openapi(listRoute('getBannedUsers', '/api/moderation/banned', 'Bans and timeouts in force, newest first (Helix "Get Banned Users")'), async (c) =>
    c.json(await list(c.req.valid('query'), c.var.auth.userId), 200),
  )
  router.openapi(listRoute('getBans', '/api/moderation/bans', 'The same list, at the path bans are managed on'), async (c) =>
    c.json(await list(c.req.valid('query'), c.var.auth.userId), 200),
  )

  return router
}
