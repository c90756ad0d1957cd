import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import type { AppEnv } from '../../platform/http/env.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import { dateRange, RangeQuery } from './range.ts'
import { answerList, data, listResponse } from './responses.ts'

const WatchDay = z
  .object({
    broadcaster_id: z.string(),
    date: z.string().openapi({ example: '2026-11-30' }),
    watch_minutes: z.number().int(),
    chat_messages: z.number().int(),
  })
  .openapi('WatchTimeDay')
type WatchDay = z.infer<typeof WatchDay>

/** The caller's own watch time and chat messages per channel and day. */
export function watchTimeRoutes(database: ModuleDatabase, authenticated: MiddlewareHandler<AppEnv>) {
  const router = createRouter()
  const route = routeDefiner(authenticated)

  router.openapi(
    route({
      auth: 'required',
      operationId: 'getMyWatchTime',
      method: 'get',
      path: '/api/analytics/users/me/watch-time',
      tags: ['analytics'],
      summary: 'Your minutes watched and chat messages per channel and day (CSV with Accept: text/csv)',
      request: { query: RangeQuery },
      responses: { 200: listResponse(data(WatchDay), 'Days with activity, newest first'), ...problemResponses(400) },
    }),
    async (c) => {
      const { from, to } = dateRange(c.req.valid('query'), 'day', new Date())
      const rows = await database.sql<(Omit<WatchDay, 'date'> & { date: Date })[]>`
        select broadcaster_id::text, day as date, watch_minutes, chat_messages from user_analytics
        where user_id = ${c.var.auth.userId}::bigint and day >= ${from}::date and day <= ${to}::date
        order by day desc, watch_minutes desc, broadcaster_id`
      const days = rows.map((r) => ({ ...r, date: r.date.toISOString().slice(0, 10) }))
      return answerList(c, { data: days }, { columns: Object.keys(WatchDay.shape), rows: (d) => [d], filename: 'watch-time' })
    },
  )

  return router
}
