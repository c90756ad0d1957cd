import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../../platform/http/env.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import { safeText } from '../../platform/http/text.ts'
import { announcementNotice, type AnnouncementColor } from './announcements.ts'
import type { ChatUsers } from './chat-users.ts'
import { chatError } from './errors.ts'
import type { Fanout } from './fanout.ts'
import { ModeratedChannelQuery, moderationRequests } from './moderation-requests.ts'
import type { Moderation } from './moderation.ts'

/** Helix "Send Chat Announcement": a moderator's highlighted USERNOTICE (`msg-id=announcement`) in the room, on every replica. */
export function announcementRoutes(
  deps: { users: ChatUsers; moderation: Pick<Moderation, 'requireModerator'>; fanout: Fanout },
  authenticated: MiddlewareHandler<AppEnv>,
) {
  const router = createRouter()
  const route = routeDefiner(authenticated)
  const requests = moderationRequests(deps.users)

  router.openapi(
    route({
      auth: 'required',
      operationId: 'sendChatAnnouncement',
      method: 'post',
      path: '/api/chat/announcements',
      tags: ['chat'],
      summary: 'Announce a message in the room, highlighted in a colour (Helix "Send Chat Announcement")',
      request: {
        query: ModeratedChannelQuery,
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.strictObject({
                message: safeText({ min: 1, max: 500 }),
                color: z.enum(['primary', 'blue', 'green', 'orange', 'purple']).optional().openapi({ description: 'primary (the channel colour) unless said' }),
              }),
            },
          },
        },
      },
      responses: { 204: { description: 'Announced' }, ...problemResponses(400, 403, 404) },
    }),
    async (c) => {
      const { broadcaster_id, moderator_id } = c.req.valid('query')
      const { message, color } = c.req.valid('json')
      const actorId = requests.actingAs(c.var.auth.userId, moderator_id)
      const channel = await requests.channel(broadcaster_id)
      await deps.moderation.requireModerator(channel.id, actorId)
      const [room, sender] = await Promise.all([deps.users.byId(channel.id), deps.users.byId(actorId)])
      if (!room || !sender) throw chatError('chat.user_not_found', 'Chat knows no user with this id yet')
      deps.fanout.toRoom(channel.id, announcementNotice(room, sender, message, (color?.toUpperCase() ?? 'PRIMARY') as AnnouncementColor))
      return c.body(null, 204)
    },
  )

  return router
}
