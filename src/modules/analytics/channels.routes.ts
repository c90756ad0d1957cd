import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../../platform/http/env.ts'
import { BigintId } from '../../platform/http/ids.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import { ownerOrAdmin } from './access.ts'
import { dateRange, RangeQuery } from './range.ts'
import { answerList, data, listResponse } from './responses.ts'
import type { ChannelPeriod, Granularity, Rollup, Rollups } from './rollups.ts'

const TierCount = z.object({ tier: z.enum(['1000', '2000', '3000']), count: z.number().int() })
const ChannelPeriodView = z
  .object({
    date: z.string().openapi({ description: "The period's first day (UTC)", example: '2026-11-01' }),
    minutes_viewed: z.number().int(),
    peak_viewers: z.number().int(),
    average_viewers: z.number(),
    watch_minutes: z.number().int(),
    unique_viewers: z.number().int(),
    unique_chatters: z.number().int(),
    chat_messages: z.number().int(),
    follows: z.number().int(),
    new_subs: z.array(TierCount),
    gifted_subs: z.array(TierCount),
    donations: z.number().int(),
    redemptions: z.number().int(),
    raids_in: z.number().int(),
    raids_out: z.number().int(),
  })
  .openapi('ChannelAnalyticsPeriod')
export const RevenueView = z
  .object({
    date: z.string(),
    source: z.enum(['subscription', 'gift', 'donation', 'refund']),
    tier: z.string().openapi({ description: "'' for donations and refunds" }),
    currency: z.string().openapi({ example: 'EUR' }),
    amount: z.number().int().openapi({ description: "Minor units (cents); negative for refunds; never converted" }),
    payments: z.number().int(),
  })
  .openapi('RevenuePeriod')

const PERIOD_COLUMNS = [
  'date', 'minutes_viewed', 'peak_viewers', 'average_viewers', 'watch_minutes', 'unique_viewers', 'unique_chatters', 'chat_messages', 'follows',
  'new_subs_1000', 'new_subs_2000', 'new_subs_3000', 'gifted_subs_1000', 'gifted_subs_2000', 'gifted_subs_3000',
  'donations', 'redemptions', 'raids_in', 'raids_out',
] as const
export const REVENUE_COLUMNS = ['date', 'source', 'tier', 'currency', 'amount', 'payments'] as const

const flatPeriod = ({ new_subs, gifted_subs, ...rest }: ChannelPeriod) => [
  {
    ...rest,
    ...Object.fromEntries(new_subs.map(({ tier, count }) => [`new_subs_${tier}`, count])),
    ...Object.fromEntries(gifted_subs.map(({ tier, count }) => [`gifted_subs_${tier}`, count])),
  },
]

export const GranularityQuery = z.object({ granularity: z.enum(['day', 'month']).default('day') })

/** When the rollup a granularity reads was refreshed, as a response's `as_of`. */
export async function asOf(rollups: Rollups, rollup: Rollup): Promise<string | null> {
  return (await rollups.refreshedAt()).get(rollup)?.toISOString() ?? null
}

/** A channel's analytics per day or month and its revenue, from the rollups: its broadcaster's and admins'. */
export function channelRoutes(rollups: Rollups, authenticated: MiddlewareHandler<AppEnv>) {
  const router = createRouter()
  const route = routeDefiner(authenticated)
  const tags = ['analytics']
  const params = z.object({ id: BigintId.openapi({ description: "The broadcaster's user id" }) })
  const query = RangeQuery.extend(GranularityQuery.shape)

  router.openapi(
    route({
      auth: 'required',
      operationId: 'getChannelAnalytics',
      method: 'get',
      path: '/api/analytics/channels/{id}',
      tags,
      summary: "A channel's viewers, watch time, followers gained, subs and chat per day or month (CSV with Accept: text/csv)",
      request: { params, query },
      responses: { 200: listResponse(data(ChannelPeriodView), 'The periods with activity, oldest first'), ...problemResponses(400, 403) },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      ownerOrAdmin(c.var.auth, id)
      const q = c.req.valid('query')
      const granularity: Granularity = q.granularity
      const { from, to } = dateRange(q, granularity, new Date())
      const body = {
        data: await rollups.channel(id, granularity, from, to),
        as_of: await asOf(rollups, granularity === 'day' ? 'channel_daily' : 'channel_monthly'),
      }
      return answerList(c, body, { columns: PERIOD_COLUMNS, rows: flatPeriod, filename: `channel-${id}-${granularity}` })
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'getChannelRevenue',
      method: 'get',
      path: '/api/analytics/channels/{id}/revenue',
      tags,
      summary: "A channel's revenue per day or month, by source, tier and currency (CSV with Accept: text/csv)",
      request: { params, query },
      responses: { 200: listResponse(data(RevenueView), 'Revenue entries, oldest first'), ...problemResponses(400, 403) },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      ownerOrAdmin(c.var.auth, id)
      const q = c.req.valid('query')
      const { from, to } = dateRange(q, q.granularity, new Date())
      const body = {
        data: await rollups.revenue(id, q.granularity, from, to),
        as_of: await asOf(rollups, q.granularity === 'day' ? 'revenue_daily' : 'revenue_monthly'),
      }
      return answerList(c, body, { columns: REVENUE_COLUMNS, rows: (r) => [r], filename: `channel-${id}-revenue` })
    },
  )

  return router
}
