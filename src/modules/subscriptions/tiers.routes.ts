import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../../platform/http/env.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import { safeText } from '../../platform/http/text.ts'
import { UserId } from './ids.ts'
import { ownChannel } from './ownership.ts'
import { data, json } from './responses.ts'
import { CURRENCIES, TIERS, type Currency, type Tiers } from './tiers.ts'

const TierView = z
  .object({
    tier: z.enum(TIERS),
    name: z.string(),
    /** In the currency's minor units (cents): 499 is 4.99 USD. */
    price: z.number().int(),
    currency: z.string(),
  })
  .openapi('SubscriptionTier')
const TierChange = z
  .strictObject({
    name: safeText({ min: 1, max: 50 }),
    price: z.number().int().min(1).max(100_000_000),
    currency: z.enum(Object.keys(CURRENCIES) as [Currency, ...Currency[]]),
  })
  .partial()


/** A channel's subscription tiers: anyone reads them, its broadcaster prices and names them. */
export function tierRoutes(tiers: Tiers, authenticated: MiddlewareHandler<AppEnv>) {
  const router = createRouter()
  const route = routeDefiner(authenticated)
  const tags = ['subscriptions']

  router.openapi(
    route({
      auth: 'none',
      operationId: 'listSubscriptionTiers',
      method: 'get',
      path: '/api/subscriptions/tiers',
      tags,
      summary: "A channel's three tiers with their prices",
      request: { query: z.object({ broadcaster_id: UserId }) },
      responses: { 200: json(data(TierView), 'The tiers, 1000 to 3000'), ...problemResponses(400) },
    }),
    async (c) => c.json({ data: await tiers.tiersOf(c.req.valid('query').broadcaster_id) }, 200),
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'updateSubscriptionTier',
      method: 'patch',
      path: '/api/subscriptions/tiers',
      tags,
      summary: "Change one of your tiers' name or price (subscriptions pay it from their next renewal)",
      bodyLimit: 1024,
      request: {
        query: z.object({ broadcaster_id: UserId, tier: z.enum(TIERS) }),
        body: { content: { 'application/json': { schema: TierChange } }, required: true },
      },
      responses: { 200: json(data(TierView), 'The tier as it now is'), ...problemResponses(400, 403) },
    }),
    async (c) => {
      const { broadcaster_id, tier } = c.req.valid('query')
      const changed = await tiers.change(ownChannel(c.var.auth.userId, broadcaster_id), tier, c.req.valid('json'))
      return c.json({ data: [changed] }, 200)
    },
  )

  return router
}
