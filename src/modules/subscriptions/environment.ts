import { z } from 'zod'

const points = (what: string) => {
  const expected = `${what}, 0 to 1000000`
  return z.coerce.number({ error: expected }).int(expected).min(0, expected).max(1_000_000, expected)
}

/** The subscriptions module's own environment variables. */
export const subscriptionsSettings = z.object({
  /** Points a viewer gets once per channel for following it (Twitch: 300). */
  SUBSCRIPTIONS_FOLLOW_BONUS_POINTS: points('points').default(300),
  /** Points per 5 minutes watched live, before a subscriber's multiplier (Twitch: 10). */
  SUBSCRIPTIONS_POINTS_PER_FIVE_MINUTES: points('points').default(10),
})
export type SubscriptionsSettings = z.infer<typeof subscriptionsSettings>
