import { domainErrors } from '../../platform/errors.ts'
import type { ProblemTable } from '../../platform/http/problem.ts'

/** The subscriptions module's domain error codes and their HTTP statuses. */
export const SUBSCRIPTIONS_PROBLEMS = {
  'channel.not_broadcaster': 403, // only the channel's broadcaster manages its rewards, redemptions and tiers
  'channel_points.insufficient': 409,
  'donation.amount_out_of_range': 400, // outside the currency's donation bounds
  'gift.not_enough_recipients': 409, // fewer followers who are not subscribed than the community gift's count
  'gift.recipient_not_found': 404,
  'gift.recipient_subscribed': 409,
  'gift.self': 400, // a gift to yourself
  'idempotency.mismatch': 422, // the same Idempotency-Key with another request
  'payment.not_found': 404, // none of the caller's payments has this id
  'payment.provider_unavailable': 502, // Stripe did not open a checkout: nothing was charged
  'payment.signature_invalid': 400, // a webhook delivery Stripe did not sign with the endpoint's secret
  'redemption.input_required': 400,
  'redemption.not_found': 404, // none of the ids is an UNFULFILLED redemption of the reward
  'reward.cooldown': 409,
  'reward.invalid': 400,
  'reward.limit_reached': 409, // settings that contradict each other (a limit enabled without a value)
  'reward.not_found': 404,
  'reward.out_of_stock': 409,
  'reward.title_taken': 409,
  'reward.unavailable': 409, // disabled or paused
  'reward.user_limit': 409,
  'subscription.already_active': 409, // subscribed and renewing: change the tier instead
  'subscription.channel_not_found': 404,
  'subscription.not_found': 404,
  'subscription.not_yours': 403, // another user's subscription // no active subscription (Helix's 404 of Check User Subscription too)
  'subscription.own_channel': 400, // a broadcaster cannot subscribe (or gift subs) to their own channel
  'tier.price_out_of_range': 400, // outside the currency's bounds
} as const satisfies ProblemTable

/** A subscriptions `DomainError`; a code missing from `SUBSCRIPTIONS_PROBLEMS` does not compile. */
export const subscriptionsError = domainErrors(SUBSCRIPTIONS_PROBLEMS)
