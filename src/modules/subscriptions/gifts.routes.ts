import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../../platform/http/env.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import type { Gifting } from './gifts.ts'
import { RequiredIdempotencyKeyHeader } from './idempotency.ts'
import { UserId } from './ids.ts'
import { PaymentView, type PaymentAnswer } from './payments/index.ts'
import { data, json } from './responses.ts'
import { TIERS } from './tiers.ts'

const Gift = z
  .strictObject({
    broadcaster_id: UserId,
    tier: z.enum(TIERS),
    user_id: UserId.optional().openapi({ description: 'The recipient of one gift sub' }),
    count: z.number().int().min(1).max(100).optional().openapi({ description: 'A community gift: this many random followers who do not subscribe' }),
    is_anonymous: z.boolean().default(false),
  })
  .refine((gift) => (gift.user_id === undefined) !== (gift.count === undefined), {
    message: 'either user_id (one recipient) or count (a community gift)',
    path: ['user_id'],
  })

/** Gift subs: to a named user, or community gifts to random followers of the channel. */
export function giftRoutes(gifting: Gifting, authenticated: MiddlewareHandler<AppEnv>) {
  const router = createRouter()
  const route = routeDefiner(authenticated)

  router.openapi(
    route({
      auth: 'required',
      operationId: 'giftSubscriptions',
      method: 'post',
      path: '/api/subscriptions/gifts',
      tags: ['subscriptions'],
      summary: 'Gift subs to one user or to 1–100 random followers (dev: paid at once; Stripe: pay on checkout_url)',
      bodyLimit: 1024,
      request: { headers: RequiredIdempotencyKeyHeader, body: { content: { 'application/json': { schema: Gift } }, required: true } },
      responses: { 201: json(data(PaymentView), 'The payment (the first answer, for a retried Idempotency-Key)'), ...problemResponses(400, 404, 409, 422, 502) },
    }),
    async (c) => {
      const body = c.req.valid('json')
      const ask = { broadcasterId: body.broadcaster_id, tier: body.tier, isAnonymous: body.is_anonymous }
      const { answer, replayed } = await gifting.give(
        c.var.auth.userId,
        body.user_id !== undefined ? { ...ask, recipientId: body.user_id } : { ...ask, count: body.count! },
        c.req.valid('header')['idempotency-key'],
      )
      if (replayed) c.header('Idempotent-Replayed', 'true')
      return c.json(answer.body as { data: PaymentAnswer[] }, 201)
    },
  )

  return router
}
