import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { ModuleDatabase } from '../../../platform/db/database.ts'
import type { AppEnv } from '../../../platform/http/env.ts'
import { problemResponses } from '../../../platform/http/openapi.ts'
import { routeDefiner } from '../../../platform/http/route.ts'
import { createRouter } from '../../../platform/http/router.ts'
import { subscriptionsError } from '../errors.ts'
import { Uuid } from '../ids.ts'
import { data, json } from '../responses.ts'
import { PaymentView } from './pay.ts'
import { paymentOf, type PaymentState } from './payments.ts'

const at = (time: Date | null) => time?.toISOString() ?? null

const PaymentStateView = PaymentView.extend({
  status: z.enum(['pending', 'succeeded', 'failed', 'refunded']),
  created_at: z.string(),
  confirmed_at: z.string().nullable(),
  failed_at: z.string().nullable(),
  refunded_at: z.string().nullable(),
  amount_refunded: z.number().int().openapi({ description: 'Given back so far, in minor units (a refund may come in parts)' }),
}).openapi('PaymentState')

const view = (row: PaymentState): z.infer<typeof PaymentStateView> => ({
  payment_id: row.id,
  kind: row.kind,
  status: row.status,
  amount: Number(row.amount),
  currency: row.currency,
  // Only a payment still waiting has a page to pay on.
  checkout_url: row.status === 'pending' ? row.checkout_url : null,
  created_at: row.created_at.toISOString(),
  confirmed_at: at(row.confirmed_at),
  failed_at: at(row.failed_at),
  refunded_at: at(row.refunded_at),
  amount_refunded: Number(row.amount_refunded),
})

/** A buyer's own payment, for the page Stripe Checkout sends them back to (`?payment_id=`). */
export function paymentRoutes(database: ModuleDatabase, authenticated: MiddlewareHandler<AppEnv>) {
  const router = createRouter()
  const route = routeDefiner(authenticated)

  router.openapi(
    route({
      auth: 'required',
      operationId: 'getPayment',
      method: 'get',
      path: '/api/subscriptions/payments',
      tags: ['payments'],
      summary: 'One of your payments as it now is (pending until Stripe confirms it)',
      request: { query: z.object({ id: Uuid }) },
      responses: { 200: json(data(PaymentStateView), 'The payment'), ...problemResponses(400, 404) },
    }),
    async (c) => {
      const payment = await paymentOf(database, c.var.auth.userId, c.req.valid('query').id)
      if (!payment) throw subscriptionsError('payment.not_found', 'None of your payments has this id')
      return c.json({ data: [view(payment)] }, 200)
    },
  )

  return router
}
