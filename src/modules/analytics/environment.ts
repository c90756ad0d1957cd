import { z } from 'zod'

/** Whole seconds from `min` to `max`, with the platform's one-line error naming the range. */
const seconds = (min: number, max: number, fallback: number) => {
  const message = `seconds, ${min} to ${max}`
  return z.coerce.number({ error: message }).int(message).min(min, message).max(max, message).default(fallback)
}

/** The analytics module's own environment variables. */
export const analyticsSettings = z.object({
  /** How often the rollups (materialized views) are refreshed, concurrently, by one replica. */
  ANALYTICS_ROLLUP_REFRESH_SECONDS: seconds(1, 86_400, 300),
  /** How long after a stream goes offline its late events may still come before its summary is written. */
  ANALYTICS_LATE_EVENTS_SECONDS: seconds(0, 86_400, 300),
})
export type AnalyticsSettings = z.infer<typeof analyticsSettings>
