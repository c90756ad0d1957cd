import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../../platform/http/env.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { CursorPart, decodeCursor, pageQuery, toPage } from '../../platform/http/pagination.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import { safeText } from '../../platform/http/text.ts'
import type { BlockedTerm, BlockedTerms } from './blocked-terms.ts'
import { ModeratedChannelQuery, type ModerationRequests } from './moderation-requests.ts'
import type { Moderation } from './moderation.ts'

const TermView = z.object({
  broadcaster_id: z.string(),
  moderator_id: z.string(),
  id: z.string(),
  text: z.string(),
  created_at: z.string().openapi({ format: 'date-time' }),
  updated_at: z.string().openapi({ format: 'date-time' }),
  expires_at: z.string().nullable(),
})
const TermPage = z.object({ data: z.array(TermView), pagination: z.object({ cursor: z.string().optional() }) })
const termView = (t: BlockedTerm) => ({
  broadcaster_id: t.broadcasterId,
  moderator_id: t.moderatorId,
  id: t.id,
  text: t.text,
  created_at: t.createdAt.toISOString(),
  // Terms are never edited, only added and removed.
  updated_at: t.createdAt.toISOString(),
  expires_at: t.expiresAt?.toISOString() ?? null,
})

/** Helix's "Delete Chat Messages" and blocked terms: what moderators remove from a room. */
export function moderationRoutes(
  deps: { moderation: Moderation; terms: BlockedTerms; requests: ModerationRequests },
  authenticated: MiddlewareHandler<AppEnv>,
) {
  const { moderation, terms, requests } = deps
  const router = createRouter()
  const route = routeDefiner(authenticated)

  /** The channel a moderator acts in, checked: the caller is `moderator_id`, who moderates it. */
  const moderated = async (callerId: string, query: z.infer<typeof ModeratedChannelQuery>) => {
    const actorId = requests.actingAs(callerId, query.moderator_id)
    const channel = await requests.channel(query.broadcaster_id)
    await moderation.requireModerator(channel.id, actorId)
    return { actorId, channel }
  }

  router.openapi(
    route({
      auth: 'required',
      operationId: 'deleteChatMessages',
      method: 'delete',
      path: '/api/moderation/chat',
      tags: ['moderation'],
      summary: 'Delete one message (CLEARMSG), or without message_id clear the room (CLEARCHAT) (Helix "Delete Chat Messages")',
      request: { query: ModeratedChannelQuery.extend({ message_id: z.uuid().optional() }) },
      responses: { 204: { description: 'Deleted' }, ...problemResponses(400, 403, 404) },
    }),
    async (c) => {
      const query = c.req.valid('query')
      const { actorId, channel } = await moderated(c.var.auth.userId, query)
      if (query.message_id === undefined) await moderation.clear(channel, actorId)
      else await moderation.deleteMessage(channel, actorId, query.message_id)
      return c.body(null, 204)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'getBlockedTerms',
      method: 'get',
      path: '/api/moderation/blocked_terms',
      tags: ['moderation'],
      summary: 'The words and phrases the channel refuses in chat, newest first (Helix "Get Blocked Terms")',
      request: { query: pageQuery.extend(ModeratedChannelQuery.shape) },
      responses: { 200: { description: 'A page of terms', content: { 'application/json': { schema: TermPage } } }, ...problemResponses(400, 403, 404) },
    }),
    async (c) => {
      const query = c.req.valid('query')
      const { channel } = await moderated(c.var.auth.userId, query)
      const cursor = decodeCursor(query.after, [CursorPart.timestamp, z.uuid()])
      const rows = await terms.list(channel.id, query.first + 1, cursor)
      return c.json(toPage(rows, query.first, termView, (t) => t.cursor), 200)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'addBlockedTerm',
      method: 'post',
      path: '/api/moderation/blocked_terms',
      tags: ['moderation'],
      summary: 'Refuse a word or phrase in chat from now on (Helix "Add Blocked Term"); a term the channel has is returned as it is',
      request: {
        query: ModeratedChannelQuery,
        body: { required: true, content: { 'application/json': { schema: z.strictObject({ text: z.string().trim().pipe(safeText({ min: 2, max: 500 })) }) } } },
      },
      responses: {
        200: { description: 'The term', content: { 'application/json': { schema: z.object({ data: z.array(TermView) }) } } },
        ...problemResponses(400, 403, 404),
      },
    }),
    async (c) => {
      const { actorId, channel } = await moderated(c.var.auth.userId, c.req.valid('query'))
      const term = await moderation.addBlockedTerm(channel, actorId, c.req.valid('json').text)
      return c.json({ data: [termView(term)] }, 200)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'removeBlockedTerm',
      method: 'delete',
      path: '/api/moderation/blocked_terms',
      tags: ['moderation'],
      summary: 'Stop refusing a term (Helix "Remove Blocked Term")',
      request: { query: ModeratedChannelQuery.extend({ id: z.uuid() }) },
      responses: { 204: { description: 'Removed' }, ...problemResponses(400, 403, 404) },
    }),
    async (c) => {
      const query = c.req.valid('query')
      const { actorId, channel } = await moderated(c.var.auth.userId, query)
      await moderation.removeBlockedTerm(channel, actorId, query.id)
      return c.body(null, 204)
    },
  )

  return router
}
