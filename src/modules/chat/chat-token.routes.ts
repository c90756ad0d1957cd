import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import { chatTokenOf } from '../../platform/auth/chat-token.ts'
import type { AppEnv } from '../../platform/http/env.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'

const ChatToken = z
  .object({
    token: z.string().openapi({ description: 'The password for tmi.js and other IRC clients: `oauth:<token>`' }),
    login: z.string(),
  })
  .openapi('ChatToken')

/** The chat form of the caller's access token: the same credential, lowercase-safe for tmi.js. */
export function chatTokenRoutes(authenticated: MiddlewareHandler<AppEnv>) {
  const router = createRouter()
  const route = routeDefiner(authenticated)
  router.openapi(
    route({
      auth: 'required',
      operationId: 'getChatToken',
      method: 'get',
      path: '/api/chat/token',
      tags: ['chat'],
      summary: 'Your access token as chat takes it (tmi.js lowercases passwords; this form survives it); valid as long as the access token',
      responses: { 200: { description: 'The chat token', content: { 'application/json': { schema: z.object({ data: z.array(ChatToken) }) } } } },
    }),
    (c) => {
      // requireAuth has verified this very header.
      const accessToken = (c.req.header('authorization') ?? '').replace(/^Bearer /i, '')
      return c.json({ data: [{ token: chatTokenOf(accessToken), login: c.var.auth.login }] }, 200)
    },
  )
  return router
}
