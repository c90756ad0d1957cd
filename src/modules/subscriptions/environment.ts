import { z } from 'zod'
import { checkPaymentsSettings, paymentsSettings } from './payments/settings.ts'

/** The subscriptions module's own environment variables. */
export const subscriptionsSettings = z.object({
  /** Custom rewards a channel may have at once (Helix: 50). */
  SUBSCRIPTIONS_MAX_REWARDS_PER_CHANNEL: z.coerce
    .number({ error: 'rewards, 1 to 1000' })
    .int('rewards, 1 to 1000')
    .min(1, 'rewards, 1 to 1000')
    .max(1000, 'rewards, 1 to 1000')
    .default(50),
  /** How often the renewals job looks for periods that ended (ms): a renewal or an expiry is at most this late. */
  SUBSCRIPTIONS_RENEWALS_EVERY_MS: z.coerce
    .number({ error: 'milliseconds, 10 to 3600000' })
    .int('milliseconds, 10 to 3600000')
    .min(10, 'milliseconds, 10 to 3600000')
    .max(3_600_000, 'milliseconds, 10 to 3600000')
    .default(60_000),
  ...paymentsSettings,
}).superRefine(checkPaymentsSettings)
export type SubscriptionsSettings = z.infer<typeof subscriptionsSettings>
