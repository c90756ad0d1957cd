import { z } from '@hono/zod-openapi'
import { analyticsError } from './errors.ts'
import type { Granularity } from './rollups.ts'

const DAY_MS = 86_400_000
/** The longest range a request may ask for, in periods: a year of days, ten years of months. */
const MAX_PERIODS: Record<Granularity, number> = { day: 366, month: 120 }

/** A UTC date as the lists write it (`YYYY-MM-DD`), one its month has: the part of a cursor that sorts by period. */
export const DateKey = z
  .string()
  // Year 0 is JavaScript's 1 BC, a date Postgres does not have.
  .regex(/^(?!0000)\d{4}-\d{2}-\d{2}$/)
  .refine((date) => {
    const time = Date.parse(`${date}T00:00:00Z`)
    return !Number.isNaN(time) && new Date(time).toISOString().startsWith(date)
  })

/** `started_at` and `ended_at` (RFC 3339, as Helix's analytics take them), both optional. */
export const RangeQuery = z.object({
  started_at: z.iso.datetime({ offset: true }).optional().openapi({ example: '2026-11-01T00:00:00Z' }),
  ended_at: z.iso.datetime({ offset: true }).optional().openapi({ example: '2026-11-30T23:59:59Z' }),
})

/**
 * The UTC dates (inclusive) a range covers: by default the last 30 days (a day granularity) or
 * 12 months; `analytics.range_invalid` when it ends before it starts or is longer than allowed.
 * @example
 * dateRange({ started_at: '2026-11-01T00:00:00Z' }, 'day', new Date()) // { from: '2026-11-01', to: today }
 */
export function dateRange(query: z.infer<typeof RangeQuery>, granularity: Granularity, now: Date): { from: string; to: string } {
  const end = query.ended_at ? new Date(query.ended_at) : now
  const defaultStart = granularity === 'day' ? new Date(end.getTime() - 29 * DAY_MS) : new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() - 11, 1))
  const start = query.started_at ? new Date(query.started_at) : defaultStart
  if (start > end) throw analyticsError('analytics.range_invalid', 'ended_at is before started_at')
  // An offset can move a written year 1 or 9999 out of the years dates are written in (YYYY, from year 1).
  if (start.getUTCFullYear() < 1 || end.getUTCFullYear() > 9999) throw analyticsError('analytics.range_invalid', 'dates are from year 1 to 9999 (UTC)')
  const periods =
    granularity === 'day'
      ? Math.floor((Date.UTC(end.getUTCFullYear(), end.getUTCMonth(), end.getUTCDate()) - Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate())) / DAY_MS) + 1
      : (end.getUTCFullYear() - start.getUTCFullYear()) * 12 + end.getUTCMonth() - start.getUTCMonth() + 1
  if (periods > MAX_PERIODS[granularity]) {
    throw analyticsError('analytics.range_invalid', `at most ${MAX_PERIODS[granularity]} ${granularity}s at once`)
  }
  const date = (d: Date) => d.toISOString().slice(0, 10)
  // A month's row is dated its first day.
  const from = granularity === 'day' ? date(start) : `${date(start).slice(0, 7)}-01`
  return { from, to: date(end) }
}
