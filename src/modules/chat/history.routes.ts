import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../../platform/http/env.ts'
import { BigintId } from '../../platform/http/ids.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { CursorPart, decodeCursor, pageQuery, toPage } from '../../platform/http/pagination.ts'
import { Problem } from '../../platform/http/problem.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import { chatError } from './errors.ts'
import type { ChatHistory, HistoryMessage } from './history.ts'

const MessageView = z.object({
  message_id: z.string(),
  user_id: z.string(),
  user_login: z.string(),
  user_name: z.string(),
  text: z.string().nullable().openapi({ description: 'Null once a moderator deleted the message' }),
  deleted: z.boolean(),
  sent_at: z.string().openapi({ format: 'date-time' }),
  reply_parent_message_id: z.string().nullable(),
})
const ReplayMessageView = MessageView.extend({
  offset_seconds: z.number().openapi({ description: 'Seconds from the start of the stream, to show it beside the VOD' }),
})
const pagination = z.object({ cursor: z.string().optional() })

const CURSOR = [CursorPart.timestamp, z.uuid()] as const
const keyOf = (m: HistoryMessage) => [m.sentAtKey, m.id] as const

const view = (m: HistoryMessage) => ({
  message_id: m.id,
  user_id: m.userId,
  user_login: m.login,
  user_name: m.displayName,
  text: m.text,
  deleted: m.deleted,
  sent_at: m.sentAt.toISOString(),
  reply_parent_message_id: m.replyParentId,
})

/** `decodeCursor`, its refusal naming the parameter the cursor came in (history pages backwards, with `before`). */
function cursorIn(field: 'before' | 'after', cursor: string | undefined) {
  try {
    return decodeCursor(cursor, CURSOR)
  } catch (error) {
    if (!(error instanceof Problem)) throw error
    throw new Problem(400, `Invalid query parameter: ${field}: not a cursor this list issued`, {
      code: 'request.invalid',
      errors: [{ field, message: 'not a cursor this list issued' }],
    })
  }
}

/** A room's chat history, newest first, and the replay of a past stream's chat beside its VOD. */
export function historyRoutes(history: ChatHistory, authenticated: MiddlewareHandler<AppEnv>) {
  const router = createRouter()
  const route = routeDefiner(authenticated)

  router.openapi(
    route({
      auth: 'none',
      operationId: 'getChatMessages',
      method: 'get',
      path: '/api/chat/messages',
      tags: ['chat'],
      summary: "A room's messages, newest first; a deleted one is flagged and its text not shown. Page back with `before`",
      request: {
        query: z.object({
          broadcaster_id: BigintId,
          first: pageQuery.shape.first,
          before: z.string().max(512).optional().openapi({ description: "The previous page's cursor: the messages before it" }),
        }),
      },
      responses: {
        200: {
          description: 'Messages, newest first',
          content: { 'application/json': { schema: z.object({ data: z.array(MessageView), pagination }) } },
        },
        ...problemResponses(400),
      },
    }),
    async (c) => {
      const { broadcaster_id, first, before } = c.req.valid('query')
      const rows = await history.recent(broadcaster_id, first + 1, cursorIn('before', before))
      return c.json(toPage(rows, first, view, keyOf), 200)
    },
  )

  router.openapi(
    route({
      auth: 'none',
      operationId: 'getChatReplay',
      method: 'get',
      path: '/api/chat/replay',
      tags: ['chat'],
      summary: "A stream's chat as it happened, oldest first, each message's offset from the stream's start (to play beside its VOD)",
      request: { query: z.object({ stream_id: BigintId, ...pageQuery.shape }) },
      responses: {
        200: {
          description: "The stream's session and a page of its messages",
          content: {
            'application/json': {
              schema: z.object({
                stream: z.object({
                  stream_id: z.string(),
                  broadcaster_id: z.string(),
                  started_at: z.string().openapi({ format: 'date-time' }),
                  ended_at: z.string().nullable().openapi({ format: 'date-time' }),
                }),
                data: z.array(ReplayMessageView),
                pagination,
              }),
            },
          },
        },
        ...problemResponses(400, 404),
      },
    }),
    async (c) => {
      const { stream_id, first, after } = c.req.valid('query')
      const replay = await history.replay(stream_id, first + 1, cursorIn('after', after))
      if (!replay) throw chatError('stream.not_found', 'Chat knows no stream with this id')
      const page = toPage(replay.messages, first, (m) => ({ ...view(m), offset_seconds: m.offsetSeconds }), keyOf)
      return c.json(
        {
          stream: {
            stream_id: replay.streamId,
            broadcaster_id: replay.broadcasterId,
            started_at: replay.startedAt.toISOString(),
            ended_at: replay.endedAt?.toISOString() ?? null,
          },
          ...page,
        },
        200,
      )
    },
  )

  return router
}
