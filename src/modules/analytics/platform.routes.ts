import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../../platform/http/env.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import { answerRevenue, RevenueQuery, RevenueView } from './channels.routes.ts'
import type { Current } from './current.ts'
import { answerList, data, listResponse, paged } from './responses.ts'
import type { Rollups } from './rollups.ts'

const TotalsView = z
  .object({
    live_streams: z.number().int(),
    viewers: z.number().int(),
    chat_messages_last_minute: z.number().int(),
    active_subscriptions: z.array(z.object({ tier: z.string(), count: z.number().int() })),
    revenue_total: z.array(z.object({ currency: z.string(), amount: z.number().int() })).openapi({ description: 'Received since analytics began, before refunds' }),
  })
  .openapi('PlatformAnalytics')
const TOTALS_COLUMNS = ['live_streams', 'viewers', 'chat_messages_last_minute', 'tier', 'active_subscriptions', 'currency', 'revenue_total'] as const

/** The platform's totals, for its operators (admins). */
export function platformRoutes(current: Current, rollups: Rollups, authenticated: MiddlewareHandler<AppEnv>) {
  const router = createRouter()
  const route = routeDefiner(authenticated)
  const tags = ['analytics']

  router.openapi(
    route({
      auth: 'required',
      roles: ['admin'],
      operationId: 'getPlatformAnalytics',
      method: 'get',
      path: '/api/analytics/platform',
      tags,
      summary: 'Live streams, viewers, chat messages per minute, active subscriptions and revenue per currency now (admins)',
      responses: { 200: listResponse(data(TotalsView), 'The totals now') },
    }),
    async (c) => {
      const [live_streams, viewers, chat_messages_last_minute, active_subscriptions, totals] = await Promise.all([
        current.liveStreams(),
        current.viewers(),
        current.chatMessagesLastMinute(),
        current.activeSubscriptions(),
        current.totals(),
      ])
      const revenue_total = [...totals]
        .filter(([name]) => name.startsWith('revenue:'))
        .map(([name, amount]) => ({ currency: name.slice('revenue:'.length), amount }))
        .sort((a, b) => a.currency.localeCompare(b.currency))
      const now = { live_streams, viewers, chat_messages_last_minute, active_subscriptions, revenue_total }
      // CSV: one line per tier and per currency beside the single figures.
      return answerList(c, { data: [now] }, {
        columns: TOTALS_COLUMNS,
        rows: (t) => [
          { live_streams: t.live_streams, viewers: t.viewers, chat_messages_last_minute: t.chat_messages_last_minute },
          ...t.active_subscriptions.map((s) => ({ tier: s.tier, active_subscriptions: s.count })),
          ...t.revenue_total.map((r) => ({ currency: r.currency, revenue_total: r.amount })),
        ],
        filename: 'platform',
      })
    },
  )

  router.openapi(
    route({
      auth: 'required',
      roles: ['admin'],
      operationId: 'getPlatformRevenue',
      method: 'get',
      path: '/api/analytics/platform/revenue',
      tags,
      summary: "Every channel's revenue together, per day or month, by source, tier and currency (admins)",
      request: { query: RevenueQuery },
      responses: { 200: listResponse(paged(RevenueView), 'Revenue entries, oldest first (CSV: all of the range)'), ...problemResponses(400) },
    }),
    (c) => answerRevenue(c, rollups, c.req.valid('query'), undefined, 'platform-revenue'),
  )

  return router
}
