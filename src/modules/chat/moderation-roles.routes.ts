import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../../platform/http/env.ts'
import { BigintId } from '../../platform/http/ids.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { CursorPart, decodeCursor, pageQuery, toPage } from '../../platform/http/pagination.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import type { ChatRoles, RoleKind } from './chat-roles.ts'
import { UserIds, type ModerationRequests } from './moderation-requests.ts'
import type { Moderation } from './moderation.ts'

const Holder = z.object({ user_id: z.string(), user_login: z.string(), user_name: z.string() })
const Page = z.object({ data: z.array(Holder), pagination: z.object({ cursor: z.string().optional() }) })

const SPECS = {
  moderator: { path: '/api/moderation/moderators', tag: 'moderation', name: 'Moderator', plural: 'Moderators', helix: 'Channel Moderator' },
  vip: { path: '/api/channels/vips', tag: 'channels', name: 'Vip', plural: 'Vips', helix: 'Channel VIP' },
} as const

/**
 * Helix's moderators (`/moderation/moderators`) or VIPs (`/channels/vips`): listed, added and
 * removed by the channel's broadcaster, as `/mod` and `/vip` do in chat.
 */
export function roleRoutes(
  kind: RoleKind,
  deps: { moderation: Moderation; roles: ChatRoles; requests: ModerationRequests },
  authenticated: MiddlewareHandler<AppEnv>,
) {
  const { moderation, roles, requests } = deps
  const spec = SPECS[kind]
  const router = createRouter()
  const route = routeDefiner(authenticated)
  const Pair = z.object({ broadcaster_id: BigintId, user_id: BigintId })

  router.openapi(
    route({
      auth: 'required',
      operationId: `get${spec.plural}`,
      method: 'get',
      path: spec.path,
      tags: [spec.tag],
      summary: `The channel's ${spec.plural.toLowerCase()}, for its broadcaster (Helix "Get ${spec.plural === 'Vips' ? 'VIPs' : 'Moderators'}")`,
      request: { query: pageQuery.extend({ broadcaster_id: BigintId, user_id: UserIds }) },
      responses: { 200: { description: 'A page of them', content: { 'application/json': { schema: Page } } }, ...problemResponses(400, 403, 404) },
    }),
    async (c) => {
      const { broadcaster_id, user_id, first, after } = c.req.valid('query')
      moderation.requireBroadcaster(broadcaster_id, c.var.auth.userId)
      const cursor = decodeCursor(after, [CursorPart.bigint])
      const rows = await roles.list(kind, broadcaster_id, { first: first + 1, after: cursor?.[0], userIds: user_id })
      return c.json(
        toPage(rows, first, (h) => ({ user_id: h.userId, user_login: h.login, user_name: h.displayName }), (h) => [h.userId]),
        200,
      )
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: `add${spec.name}`,
      method: 'post',
      path: spec.path,
      tags: [spec.tag],
      summary: `Make a user a ${kind === 'vip' ? 'VIP' : 'moderator'} of your channel (Helix "Add ${spec.helix}")`,
      request: { query: Pair },
      responses: { 204: { description: 'Added' }, ...problemResponses(400, 403, 404, 409, 422) },
    }),
    async (c) => {
      const { broadcaster_id, user_id } = c.req.valid('query')
      moderation.requireBroadcaster(broadcaster_id, c.var.auth.userId)
      await moderation.grant(kind, await requests.channel(broadcaster_id), c.var.auth.userId, await requests.target(user_id))
      return c.body(null, 204)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: `remove${spec.name}`,
      method: 'delete',
      path: spec.path,
      tags: [spec.tag],
      summary: `Take the role back (Helix "Remove ${spec.helix}")`,
      request: { query: Pair },
      responses: { 204: { description: 'Removed' }, ...problemResponses(400, 403, 404) },
    }),
    async (c) => {
      const { broadcaster_id, user_id } = c.req.valid('query')
      moderation.requireBroadcaster(broadcaster_id, c.var.auth.userId)
      await moderation.revoke(kind, await requests.channel(broadcaster_id), c.var.auth.userId, await requests.target(user_id))
      return c.body(null, 204)
    },
  )

  return router
}
