import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../../platform/http/env.ts'
import { BigintId } from '../../platform/http/ids.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import { ownerOrAdmin } from './access.ts'
import { analyticsError } from './errors.ts'
import { answerList, data, listResponse } from './responses.ts'
import type { Sessions, StreamReport } from './sessions.ts'
import { viewersChart } from './viewers-chart.ts'

const count = z.number().int()
const MinuteView = z
  .object({
    minute: z.string().openapi({ format: 'date-time' }),
    viewers: count,
    chatters: count,
    messages: count,
    follows: count,
    new_subs: count,
    gifted_subs: count,
    donations: count,
    redemptions: count,
    raids_in: count,
    raids_out: count,
  })
  .openapi('StreamAnalyticsMinute')
const StreamView = z
  .object({
    stream_id: z.string(),
    broadcaster_id: z.string(),
    started_at: z.string().openapi({ format: 'date-time' }),
    ended_at: z.string().nullable(),
    is_final: z.boolean().openapi({ description: 'Offline, and its late events are in' }),
    duration_seconds: count,
    peak_viewers: count,
    average_viewers: z.number(),
    unique_viewers: count,
    watch_minutes: count,
    chat_messages: count,
    unique_chatters: count,
    follows: count,
    new_subs: count,
    gifted_subs: count,
    donations: count,
    redemptions: count,
    raids_in: count,
    raids_out: count,
    revenue: z.array(z.object({ currency: z.string(), amount: count })),
    timeline: z.array(MinuteView),
  })
  .openapi('StreamAnalytics')
const MINUTE_COLUMNS = Object.keys(MinuteView.shape)

/** One stream session's analytics, its minute timeline (CSV) and its viewers chart (SVG): its broadcaster's and admins'. */
export function streamRoutes(sessions: Sessions, authenticated: MiddlewareHandler<AppEnv>) {
  const router = createRouter()
  const route = routeDefiner(authenticated)
  const tags = ['analytics']
  const params = z.object({ stream_id: BigintId.openapi({ description: "The live session's id, as GET /api/streams shows it" }) })

  /** The report of a stream the caller may read: `stream.not_found` before `analytics.not_owner`, as streams are public. */
  const readable = async (caller: AppEnv['Variables']['auth'], streamId: string): Promise<StreamReport> => {
    const broadcasterId = await sessions.broadcasterOf(streamId)
    if (broadcasterId === undefined) throw analyticsError('stream.not_found', 'No stream with this id has reached analytics')
    ownerOrAdmin(caller, broadcasterId)
    const report = await sessions.report(streamId)
    if (!report) throw analyticsError('stream.not_found', 'No stream with this id has reached analytics')
    return report
  }

  router.openapi(
    route({
      auth: 'required',
      operationId: 'getStreamAnalytics',
      method: 'get',
      path: '/api/analytics/streams/{stream_id}',
      tags,
      summary: "A stream session's summary and its minute timeline (the timeline as CSV with Accept: text/csv)",
      request: { params },
      responses: { 200: listResponse(data(StreamView), 'The session'), ...problemResponses(400, 403, 404) },
    }),
    async (c) => {
      const { stream_id } = c.req.valid('param')
      const { summary, isFinal, timeline } = await readable(c.var.auth, stream_id)
      return answerList(c, { data: [{ ...summary, is_final: isFinal, timeline }] }, {
        columns: MINUTE_COLUMNS,
        rows: (stream) => stream.timeline,
        filename: `stream-${stream_id}-minutes`,
      })
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'getStreamViewersChart',
      method: 'get',
      path: '/api/analytics/streams/{stream_id}/viewers.svg',
      tags,
      summary: "A stream's viewers per minute as an SVG line chart",
      request: { params },
      responses: { 200: { description: 'The chart', content: { 'image/svg+xml': { schema: z.string() } } }, ...problemResponses(400, 403, 404) },
    }),
    async (c) => {
      const { stream_id } = c.req.valid('param')
      const { timeline } = await readable(c.var.auth, stream_id)
      return c.body(viewersChart(stream_id, timeline), 200, { 'content-type': 'image/svg+xml; charset=utf-8' })
    },
  )

  return router
}
