import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../../../platform/http/env.ts'
import { problemResponses } from '../../../platform/http/openapi.ts'
import { routeDefiner } from '../../../platform/http/route.ts'
import { createRouter } from '../../../platform/http/router.ts'
import { json } from '../responses.ts'
import type { StripeWebhook } from './webhook.ts'

const Received = z.object({ received: z.literal(true), outcome: z.enum(['applied', 'duplicate', 'ignored']) }).openapi('StripeWebhookReceipt')

/** Stripe's deliveries: answered 2xx once applied (or known), so Stripe stops retrying; 400 when not Stripe's. */
export function webhookRoutes(webhook: StripeWebhook, authenticated: MiddlewareHandler<AppEnv>) {
  const router = createRouter()
  const route = routeDefiner(authenticated)

  router.openapi(
    route({
      auth: 'none',
      operationId: 'receiveStripeWebhook',
      method: 'post',
      path: '/api/subscriptions/webhooks/stripe',
      tags: ['payments'],
      summary: "Stripe's events about checkouts, payments and refunds (signed: Stripe-Signature)",
      // Stripe's events are a few KiB; a Checkout Session with its expansions stays well under this.
      bodyLimit: 256 * 1024,
      request: {
        headers: z.object({ 'stripe-signature': z.string().optional() }),
        // A plain schema, not zod: the signature is over the raw bytes, which a JSON validator would re-encode.
        body: { content: { 'application/json': { schema: { type: 'object', description: 'A Stripe event' } } }, required: true },
      },
      responses: { 200: json(Received, 'Applied, already applied, or not about a payment of ours'), ...problemResponses(400) },
    }),
    async (c) => {
      const outcome = await webhook.receive(await c.req.text(), c.req.valid('header')['stripe-signature'])
      return c.json({ received: true as const, outcome }, 200)
    },
  )

  return router
}
