import { z } from 'zod'

/** A whole number of `unit` from `min` to `max`, with the platform's one-line error naming the range. */
const whole = (unit: string, min: number, max: number, fallback: number) => {
  const message = `${unit}, ${min} to ${max}`
  return z.coerce.number({ error: message }).int(message).min(min, message).max(max, message).default(fallback)
}

/** The analytics module's own environment variables. */
export const analyticsSettings = z.object({
  /** How often the rollups (materialized views) are refreshed, concurrently, by one replica. */
  ANALYTICS_ROLLUP_REFRESH_SECONDS: whole('seconds', 1, 86_400, 300),
  /** How long after a stream goes offline its late events may still come before its summary is written. */
  ANALYTICS_LATE_EVENTS_SECONDS: whole('seconds', 0, 86_400, 300),
  /**
   * How long a minute's viewers, chat, a raid, a gift, a donation or a redemption stays claimed
   * (`ingested_facts`), so the same event again adds nothing: longer than any redelivery and
   * than the inbox's EVENTS_INBOX_RETENTION_HOURS (a week by default).
   */
  ANALYTICS_FACTS_RETENTION_DAYS: whole('days', 8, 3650, 30),
})
export type AnalyticsSettings = z.infer<typeof analyticsSettings>
