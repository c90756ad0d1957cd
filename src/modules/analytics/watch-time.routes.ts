import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import type { AppEnv } from '../../platform/http/env.ts'
import { BigintId } from '../../platform/http/ids.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { decodeCursor, pageQuery } from '../../platform/http/pagination.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import { dateRange, DateKey, RangeQuery } from './range.ts'
import { answerPaged, listResponse, paged } from './responses.ts'

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
      request: { query: RangeQuery.extend(pageQuery.shape) },
      responses: { 200: listResponse(paged(WatchDay), 'Days with activity, newest first, then by channel (CSV: all of the range)'), ...problemResponses(400) },
    }),
    async (c) => {
      const q = c.req.valid('query')
      const { from, to } = dateRange(q, 'day', new Date())
      const after = decodeCursor(q.after, [DateKey, BigintId])
      const load = async (page?: { limit: number }) => {
        const rows = await database.sql<(Omit<WatchDay, 'date'> & { date: Date })[]>`
          select broadcaster_id::text, day as date, watch_minutes, chat_messages from user_analytics
          where user_id = ${c.var.auth.userId}::bigint and day >= ${from}::date and day <= ${to}::date
            ${page && after ? database.sql`and (day < ${after[0]}::date or (day = ${after[0]}::date and broadcaster_id > ${after[1]}::bigint))` : database.sql``}
          order by day desc, broadcaster_id ${page ? database.sql`limit ${page.limit}` : database.sql``}`
        return rows.map((r) => ({ ...r, date: r.date.toISOString().slice(0, 10) }))
      }
      return answerPaged(c, { first: q.first, load, keyOf: (d) => [d.date, d.broadcaster_id] }, { columns: Object.keys(WatchDay.shape), rows: (d) => [d], filename: 'watch-time' })
    },
  )

  return router
}
