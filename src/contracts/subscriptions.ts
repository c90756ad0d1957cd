/**
 * The subscriptions module's published language: subscriptions, gifts and donations (chat
 * announces them, analytics counts their revenue), custom rewards and their redemptions (chat
 * shows the ones with user input). Names carry a version; `z.object` drops fields it does not know, so
 * adding a field is not a breaking change.
 */
import { z } from 'zod'

const id = z.string().min(1)
const timestamp = z.iso.datetime({ offset: true })

/** A redemption as it now is, in full, with the reward as it was when redeemed. */
const redemption = z.object({
  id,
  broadcaster_id: id,
  user_id: id,
  user_input: z.string(),
  status: z.enum(['UNFULFILLED', 'FULFILLED', 'CANCELED']),
  redeemed_at: timestamp,
  reward: z.object({ id, title: z.string(), prompt: z.string(), cost: z.number().int().positive() }),
})

/** Grows with each change of the reward: consumers keep the highest seen per reward. */
const version = z.number().int().positive()

/** Helix's tier ids. */
const tier = z.enum(['1000', '2000', '3000'])
/** Money is an integer of the currency's minor units (cents), never a float. */
const amount = z.number().int().min(0)
/** ISO 4217, upper case: amounts in different currencies are never added together. */
const currency = z.string().regex(/^[A-Z]{3}$/)

/**
 * A subscription as it now is. `version` grows with each change of the subscription
 * (start, renewal, tier change, end): a projection keeps the highest seen per subscription.
 * Months count as Twitch does: `cumulative_months` every month ever subscribed to the channel,
 * `streak_months` the months in a row without a lapse.
 */
const subscription = z.object({
  subscription_id: id,
  broadcaster_id: id,
  user_id: id,
  tier,
  is_gift: z.boolean(),
  /** Null for an anonymous gift and for a sub the user bought. */
  gifter_id: id.nullable(),
  cumulative_months: z.number().int().min(1),
  streak_months: z.number().int().min(1),
  /** The end of the period paid for: access lasts until then even when canceled. */
  current_period_end: timestamp,
  version,
})

/** What a payment brought in, for revenue: `amount` in `currency`'s minor units, at `occurred_at`. */
const revenue = { amount, currency, occurred_at: timestamp }

export const subscriptionsEvents = {
  /**
   * A subscription began: bought, gifted, or resubscribed after a lapse (`cumulative_months` > 1).
   * `message` is the sub message the user shares in chat ('' when none). A gifted one carries no
   * revenue of its own (the gift's event does): `amount` is 0. A snapshot's (a state retold, not
   * a sale) carries what the current period was paid, or 0 in the tier's currency when no payment is known.
   */
  'subscriptions.subscription_started.v1': subscription.extend({ message: z.string(), ...revenue }),
  /** A period was paid again: months grow by one; `message` is the resub message shared ('' when none). */
  'subscriptions.subscription_renewed.v1': subscription.extend({ message: z.string(), ...revenue }),
  /** Takes effect at `effective_at` (the next period); `tier` is the new one from then on. */
  'subscriptions.subscription_tier_changed.v1': subscription.extend({ from_tier: tier, effective_at: timestamp }),
  /** The period ran out without renewal (canceled, a gift not continued, a payment failed): access ends. */
  'subscriptions.subscription_ended.v1': subscription.extend({
    ended_at: timestamp,
    reason: z.enum(['canceled', 'gift_ended', 'payment_failed', 'refunded']),
  }),
  /**
   * Gift subs were given: to one named user (`is_community` false) or to `count` random eligible
   * followers. Each recipient's subscription also starts (`subscription_started` with `is_gift`).
   * An anonymous gift names no gifter; `gifter_total_gifts` is the gifter's gifts in this channel
   * so far, this one included (0 when anonymous). A community gift that found fewer eligible
   * followers than paid for gives `count` of them, the rest refunded: `amount` is what it kept.
   */
  'subscriptions.gift_sent.v1': z.object({
    gift_id: id,
    broadcaster_id: id,
    gifter_id: id.nullable(),
    is_anonymous: z.boolean(),
    is_community: z.boolean(),
    tier,
    count: z.number().int().min(1).max(100),
    recipient_ids: z.array(id).min(1).max(100),
    gifter_total_gifts: z.number().int().min(0),
    ...revenue,
  }),
  /** A donation was paid: `message` is shown in chat; `user_id` is null when anonymous. */
  'subscriptions.donation_received.v1': z.object({
    donation_id: id,
    broadcaster_id: id,
    user_id: id.nullable(),
    message: z.string().max(500),
    ...revenue,
  }),
  /**
   * A donation's payment was refunded, in full or in part: `amount` is what this refund gave
   * back (a donation may be refunded in several parts, each its own `refund_id`), the donation kept.
   */
  'subscriptions.donation_refunded.v1': z.object({
    donation_id: id,
    /** Absent from events made before refunds came in parts (each refunded its donation in full). */
    refund_id: id.optional(),
    broadcaster_id: id,
    ...revenue,
  }),
  /**
   * A subscription's or a gift's payment was refunded, in full or in part (a donation's refunds
   * are `donation_refunded`): `amount` is what this refund gave back, each step its own
   * `refund_id`. What a community gift gave back itself is not one: its `gift_sent` counted only what it kept.
   */
  'subscriptions.purchase_refunded.v1': z.object({
    refund_id: id,
    payment_id: id,
    broadcaster_id: id,
    kind: z.enum(['subscription', 'gift']),
    tier,
    ...revenue,
  }),
  /**
   * A broadcaster created, changed or deleted a custom reward: its settings as they now are,
   * in full (a deleted one's last), so a consumer overwrites its copy when `version` is higher.
   */
  'subscriptions.reward_changed.v1': z.object({
    reward_id: id,
    broadcaster_id: id,
    title: z.string(),
    prompt: z.string(),
    cost: z.number().int().positive(),
    background_color: z.string(),
    is_enabled: z.boolean(),
    is_paused: z.boolean(),
    is_user_input_required: z.boolean(),
    deleted: z.boolean(),
    version,
  }),
  /** A viewer redeemed a reward; its points are spent (a skip-queue reward is FULFILLED already). */
  'subscriptions.redemption_added.v1': redemption,
  /** The broadcaster fulfilled or canceled it (a cancel refunded the points); it changes no more after. */
  'subscriptions.redemption_updated.v1': redemption,
} as const

export type SubscriptionsEventType = keyof typeof subscriptionsEvents
export type SubscriptionsEvent<T extends SubscriptionsEventType> = z.output<(typeof subscriptionsEvents)[T]>
