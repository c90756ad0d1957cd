import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { ModuleDatabase } from '../../../platform/db/database.ts'
import type { AppEnv } from '../../../platform/http/env.ts'
import { problemResponses } from '../../../platform/http/openapi.ts'
import { CursorPart, decodeCursor, listEnvelope, pageQuery, toPage } from '../../../platform/http/pagination.ts'
import { routeDefiner } from '../../../platform/http/route.ts'
import { createRouter } from '../../../platform/http/router.ts'
import { safeText } from '../../../platform/http/text.ts'
import { IdempotencyKeyHeader } from '../idempotency.ts'
import { UserId, Uuid } from '../ids.ts'
import { ownChannel } from '../ownership.ts'
import type { Checkout } from '../purchases.ts'
import { data, json } from '../responses.ts'
import { CURRENCIES, type Currency } from '../tiers.ts'
import { checkDonationAmount, PERIODS, type DonationDetails, type DonationRow, type Donations } from './donations.ts'
import { pay, PaymentView } from './pay.ts'

const DONATIONS = '/api/subscriptions/donations'
const Currencies = z.enum(Object.keys(CURRENCIES) as [Currency, ...Currency[]])

const Donate = z.strictObject({
  amount: z.number().int().min(1).max(100_000_000).openapi({ description: "In the currency's minor units (500 is 5.00 USD)" }),
  currency: Currencies,
  /** Shown in chat: one line. */
  message: safeText({ max: 500 }).default(''),
  is_anonymous: z.boolean().default(false),
})

const DonationView = z
  .object({
    id: z.string(),
    broadcaster_id: z.string(),
    user_id: z.string().nullable().openapi({ description: 'Null when the donor chose to be anonymous' }),
    is_anonymous: z.boolean(),
    amount: z.number().int(),
    currency: z.string(),
    message: z.string(),
    received_at: z.string(),
    status: z.enum(['received', 'refunded']).openapi({ description: 'refunded once refunded in full' }),
    amount_refunded: z.number().int().openapi({ description: 'Given back so far (a refund may come in parts), in minor units' }),
    refunded_at: z.string().nullable().openapi({ description: 'The latest refund' }),
  })
  .openapi('Donation')

const Leaderboard = z
  .object({
    data: z.array(z.object({ user_id: z.string(), rank: z.number().int(), score: z.number().int() })),
    date_range: z.object({ started_at: z.string(), ended_at: z.string() }).nullable(),
    currency: z.string(),
    total: z.number().int(),
  })
  .openapi('DonationLeaderboard')

const donationView = (row: DonationRow): z.infer<typeof DonationView> => ({
  id: row.id,
  broadcaster_id: String(row.broadcaster_id),
  user_id: row.is_anonymous ? null : String(row.user_id),
  is_anonymous: row.is_anonymous,
  amount: Number(row.amount),
  currency: row.currency,
  message: row.message,
  received_at: row.received_at.toISOString(),
  status: Number(row.amount_refunded) === Number(row.amount) ? 'refunded' : 'received',
  amount_refunded: Number(row.amount_refunded),
  refunded_at: row.refunded_at?.toISOString() ?? null,
})

/** Donations to a channel: anyone signed in gives, the broadcaster reads them, anyone sees the top donors. */
export function donationRoutes(
  parts: { database: ModuleDatabase; checkout: Checkout; donations: Donations },
  authenticated: MiddlewareHandler<AppEnv>,
) {
  const { database, checkout, donations } = parts
  const router = createRouter()
  const route = routeDefiner(authenticated)
  const tags = ['donations']
  const channel = z.object({ broadcaster_id: UserId })

  router.openapi(
    route({
      auth: 'required',
      operationId: 'createDonation',
      method: 'post',
      path: DONATIONS,
      tags,
      summary: 'Donate to a channel (dev: paid at once; Stripe: pay on checkout_url)',
      bodyLimit: 4 * 1024,
      request: {
        query: channel,
        headers: IdempotencyKeyHeader,
        body: { content: { 'application/json': { schema: Donate } }, required: true },
      },
      responses: { 201: json(data(PaymentView), 'The payment (the first one, for a retried Idempotency-Key)'), ...problemResponses(400, 404, 422, 502) },
    }),
    async (c) => {
      const body = c.req.valid('json')
      checkDonationAmount(body.amount, body.currency)
      await donations.requireChannel(c.req.valid('query').broadcaster_id)
      const details: DonationDetails = { message: body.message, is_anonymous: body.is_anonymous }
      const { payment, replayed } = await pay(
        database,
        checkout,
        {
          kind: 'donation',
          purchaserId: c.var.auth.userId,
          broadcasterId: c.req.valid('query').broadcaster_id,
          amount: body.amount,
          currency: body.currency,
          details,
        },
        c.req.valid('header')['idempotency-key'],
      )
      if (replayed) c.header('Idempotent-Replayed', 'true')
      return c.json({ data: [payment] }, 201)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'listDonations',
      method: 'get',
      path: DONATIONS,
      tags,
      summary: "Your channel's donations, newest first (refunded ones stay, marked)",
      request: { query: channel.extend(pageQuery.shape) },
      responses: { 200: json(listEnvelope(DonationView), 'A page of donations'), ...problemResponses(400, 403) },
    }),
    async (c) => {
      const query = c.req.valid('query')
      const broadcasterId = ownChannel(c.var.auth.userId, query.broadcaster_id)
      const rows = await donations.listOf(broadcasterId, query.first, decodeCursor(query.after, [CursorPart.timestamp, Uuid]))
      return c.json(toPage(rows, query.first, donationView, (row) => [row.received_key, row.id]), 200)
    },
  )

  router.openapi(
    route({
      auth: 'none',
      operationId: 'getDonationLeaderboard',
      method: 'get',
      path: `${DONATIONS}/leaderboard`,
      tags,
      summary: "A channel's top named donors in one currency over a day, week, month, year or all time (net of refunds)",
      request: {
        query: channel.extend({
          count: z.coerce.number().int().min(1).max(100).default(10),
          period: z.enum(PERIODS).default('all'),
          started_at: z.iso
            .datetime({ offset: true })
            // Postgres has no year 0 and JavaScript none past 275760: a period starts in between.
            .refine((at) => Math.abs(new Date(at).getUTCFullYear() - 5000) <= 4000, 'a time from 1000 to 9000')
            .optional()
            .openapi({ description: 'A time in the period (RFC 3339); now by default' }),
          currency: Currencies.default('USD'),
        }),
      },
      responses: { 200: json(Leaderboard, 'The donors by rank'), ...problemResponses(400) },
    }),
    async (c) => {
      const query = c.req.valid('query')
      const startedAt = query.started_at ? new Date(query.started_at) : new Date()
      const board = await donations.leaderboard(query.broadcaster_id, { ...query, startedAt })
      return c.json({ data: board.entries, date_range: board.range, currency: query.currency, total: board.entries.length }, 200)
    },
  )

  return router
}
