import { z } from '@hono/zod-openapi'
import type { Context, MiddlewareHandler } from 'hono'
import type { AppEnv } from '../../platform/http/env.ts'
import { BigintId } from '../../platform/http/ids.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { decodeCursor, pageQuery } from '../../platform/http/pagination.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import { ownerOrAdmin } from './access.ts'
import { dateRange, DateKey, RangeQuery } from './range.ts'
import { answerPaged, listResponse, paged } from './responses.ts'
import { channelKey, revenueKey, type ChannelPeriod, type Granularity, type Rollup, type Rollups } from './rollups.ts'

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
/** A revenue list's query: its range, granularity and page. */
export const RevenueQuery = RangeQuery.extend(GranularityQuery.shape).extend(pageQuery.shape)
/** The cursor of a revenue list: the last entry's date, source, tier and currency. */
export const revenueCursor = (after: string | undefined) =>
  decodeCursor(after, [DateKey, RevenueView.shape.source, z.enum(['', '1000', '2000', '3000']), z.string().regex(/^[A-Z]{3}$/)])

/** A revenue list (a channel's, or with `broadcasterId` undefined the platform's), paged or as CSV. */
export function answerRevenue(c: Context<AppEnv>, rollups: Rollups, q: z.infer<typeof RevenueQuery>, broadcasterId: string | undefined, filename: string) {
  const { from, to } = dateRange(q, q.granularity, new Date())
  const after = revenueCursor(q.after)
  return answerPaged(
    c,
    {
      first: q.first,
      load: (page) => rollups.revenue(broadcasterId, q.granularity, from, to, page && { ...page, after }),
      keyOf: revenueKey,
      asOf: () => asOf(rollups, q.granularity === 'day' ? 'revenue_daily' : 'revenue_monthly'),
    },
    { columns: REVENUE_COLUMNS, rows: (r) => [r], filename },
  )
}

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
  const query = RevenueQuery

  router.openapi(
    route({
      auth: 'required',
      operationId: 'getChannelAnalytics',
      method: 'get',
      path: '/api/analytics/channels/{id}',
      tags,
      summary: "A channel's viewers, watch time, followers gained, subs and chat per day or month (CSV with Accept: text/csv)",
      request: { params, query },
      responses: { 200: listResponse(paged(ChannelPeriodView), 'The periods with activity, oldest first (CSV: all of the range)'), ...problemResponses(400, 403) },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      ownerOrAdmin(c.var.auth, id)
      const q = c.req.valid('query')
      const granularity: Granularity = q.granularity
      const { from, to } = dateRange(q, granularity, new Date())
      const after = decodeCursor(q.after, [DateKey])
      return answerPaged(
        c,
        {
          first: q.first,
          load: (page) => rollups.channel(id, granularity, from, to, page && { ...page, after }),
          keyOf: channelKey,
          asOf: () => asOf(rollups, granularity === 'day' ? 'channel_daily' : 'channel_monthly'),
        },
        { columns: PERIOD_COLUMNS, rows: flatPeriod, filename: `channel-${id}-${granularity}` },
      )
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
      responses: { 200: listResponse(paged(RevenueView), 'Revenue entries, oldest first (CSV: all of the range)'), ...problemResponses(400, 403) },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      ownerOrAdmin(c.var.auth, id)
      return answerRevenue(c, rollups, c.req.valid('query'), id, `channel-${id}-revenue`)
    },
  )

  return router
}
