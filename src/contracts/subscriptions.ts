/**
 * The subscriptions module's published language: custom rewards and their redemptions (chat
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

export const subscriptionsEvents = {
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
