import { z } from '@hono/zod-openapi'
import type { NamedSubscription } from './subscribers.ts'
import { TIERS, type TierPrice } from './tiers.ts'

const Tier = z.enum(TIERS)

/** A channel's subscriber as Helix's Get Broadcaster Subscriptions lays it out ('' where Helix has no gifter). */
export const BroadcasterSubscriptionView = z
  .object({
    broadcaster_id: z.string(),
    broadcaster_login: z.string(),
    broadcaster_name: z.string(),
    gifter_id: z.string(),
    gifter_login: z.string(),
    gifter_name: z.string(),
    is_gift: z.boolean(),
    tier: Tier,
    plan_name: z.string(),
    user_id: z.string(),
    user_login: z.string(),
    user_name: z.string(),
  })
  .openapi('BroadcasterSubscription')

/** Helix's Check User Subscription: the gifter's fields only for a gift (and never an anonymous gifter's). */
export const UserSubscriptionView = z
  .object({
    broadcaster_id: z.string(),
    broadcaster_login: z.string(),
    broadcaster_name: z.string(),
    is_gift: z.boolean(),
    tier: Tier,
    gifter_id: z.string().optional(),
    gifter_login: z.string().optional(),
    gifter_name: z.string().optional(),
  })
  .openapi('UserSubscription')

/** The subscriber's own view: Helix's fields and the period, months and renewal that only they see. */
export const OwnSubscriptionView = UserSubscriptionView.extend({
  subscription_id: z.string(),
  status: z.enum(['active', 'ended']),
  /** False once canceled (access lasts to `current_period_end`), and for a gift not continued. */
  renews: z.boolean(),
  next_tier: Tier.nullable().openapi({ description: 'The tier from the next period, when a change is asked for' }),
  cumulative_months: z.number().int(),
  streak_months: z.number().int(),
  current_period_start: z.string(),
  current_period_end: z.string(),
  ended_at: z.string().nullable(),
}).openapi('OwnSubscription')

const gifter = (row: NamedSubscription) =>
  row.is_gift && !row.gift_anonymous ? { id: row.gifter_id ?? '', login: row.gifter_login ?? '', name: row.gifter_name ?? '' } : undefined

export function broadcasterSubscriptionView(row: NamedSubscription, tiers: TierPrice[]): z.infer<typeof BroadcasterSubscriptionView> {
  const from = gifter(row)
  return {
    broadcaster_id: row.broadcaster_id,
    broadcaster_login: row.broadcaster_login ?? '',
    broadcaster_name: row.broadcaster_name ?? '',
    gifter_id: from?.id ?? '',
    gifter_login: from?.login ?? '',
    gifter_name: from?.name ?? '',
    is_gift: row.is_gift,
    tier: row.tier,
    plan_name: tiers.find((t) => t.tier === row.tier)?.name ?? '',
    user_id: row.user_id,
    user_login: row.user_login ?? '',
    user_name: row.user_name ?? '',
  }
}

export function userSubscriptionView(row: NamedSubscription): z.infer<typeof UserSubscriptionView> {
  const from = gifter(row)
  return {
    broadcaster_id: row.broadcaster_id,
    broadcaster_login: row.broadcaster_login ?? '',
    broadcaster_name: row.broadcaster_name ?? '',
    is_gift: row.is_gift,
    tier: row.tier,
    ...(from && { gifter_id: from.id, gifter_login: from.login, gifter_name: from.name }),
  }
}

export function ownSubscriptionView(row: NamedSubscription): z.infer<typeof OwnSubscriptionView> {
  return {
    ...userSubscriptionView(row),
    subscription_id: row.id,
    status: row.status,
    renews: row.renews,
    next_tier: row.next_tier,
    cumulative_months: row.cumulative_months,
    streak_months: row.streak_months,
    current_period_start: row.current_period_start.toISOString(),
    current_period_end: row.current_period_end.toISOString(),
    ended_at: row.ended_at?.toISOString() ?? null,
  }
}
