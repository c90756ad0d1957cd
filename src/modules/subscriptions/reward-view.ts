import { z } from '@hono/zod-openapi'
import { safeText } from '../../platform/http/text.ts'
import type { CustomReward, RewardSettings } from './rewards.ts'

/** A custom reward in Helix's shape: the limits nest their settings, the state is derived. */
export const CustomRewardView = z
  .object({
    broadcaster_id: z.string(),
    id: z.string(),
    title: z.string(),
    prompt: z.string(),
    cost: z.number().int(),
    background_color: z.string(),
    is_enabled: z.boolean(),
    is_user_input_required: z.boolean(),
    max_per_stream_setting: z.object({ is_enabled: z.boolean(), max_per_stream: z.number().int() }),
    max_per_user_per_stream_setting: z.object({ is_enabled: z.boolean(), max_per_user_per_stream: z.number().int() }),
    global_cooldown_setting: z.object({ is_enabled: z.boolean(), global_cooldown_seconds: z.number().int() }),
    is_paused: z.boolean(),
    is_in_stock: z.boolean(),
    should_redemptions_skip_request_queue: z.boolean(),
    /** Null unless the reward has a per-stream limit (as Helix). */
    redemptions_redeemed_current_stream: z.number().int().nullable(),
    /** Null unless the reward is cooling down. */
    cooldown_expires_at: z.string().nullable(),
  })
  .openapi('CustomReward')

/** The Helix view of a reward row. */
export function rewardView(reward: CustomReward): z.infer<typeof CustomRewardView> {
  const soldOut = reward.isMaxPerStreamEnabled && reward.redeemedCurrentStream >= reward.maxPerStream
  const cooling = reward.isGlobalCooldownEnabled && reward.isCooling
  return {
    broadcaster_id: String(reward.broadcasterId),
    id: reward.id,
    title: reward.title,
    prompt: reward.prompt,
    cost: reward.cost,
    background_color: reward.backgroundColor,
    is_enabled: reward.isEnabled,
    is_user_input_required: reward.isUserInputRequired,
    max_per_stream_setting: { is_enabled: reward.isMaxPerStreamEnabled, max_per_stream: reward.maxPerStream },
    max_per_user_per_stream_setting: {
      is_enabled: reward.isMaxPerUserPerStreamEnabled,
      max_per_user_per_stream: reward.maxPerUserPerStream,
    },
    global_cooldown_setting: { is_enabled: reward.isGlobalCooldownEnabled, global_cooldown_seconds: reward.globalCooldownSeconds },
    is_paused: reward.isPaused,
    is_in_stock: !soldOut && !cooling,
    should_redemptions_skip_request_queue: reward.shouldRedemptionsSkipRequestQueue,
    redemptions_redeemed_current_stream: reward.isMaxPerStreamEnabled ? reward.redeemedCurrentStream : null,
    cooldown_expires_at: cooling && reward.cooldownExpiresAt ? reward.cooldownExpiresAt.toISOString() : null,
  }
}

const Color = z.string().regex(/^#[0-9A-Fa-f]{6}$/, 'a color as #RRGGBB')
const count = z.number().int().min(0).max(1_000_000)

/** What create takes, Helix's flat field names; update takes any of them. */
export const rewardFields = {
  // Helix's limits: a title of up to 45 characters, a prompt of up to 200.
  title: safeText({ min: 1, max: 45 }),
  prompt: safeText({ max: 200 }),
  cost: z.number().int().min(1).max(1_000_000_000),
  background_color: Color,
  is_enabled: z.boolean(),
  is_paused: z.boolean(),
  is_user_input_required: z.boolean(),
  is_max_per_stream_enabled: z.boolean(),
  max_per_stream: count,
  is_max_per_user_per_stream_enabled: z.boolean(),
  max_per_user_per_stream: count,
  is_global_cooldown_enabled: z.boolean(),
  // Helix: up to 7 days.
  global_cooldown_seconds: z.number().int().min(0).max(604_800),
  should_redemptions_skip_request_queue: z.boolean(),
}

type RewardBody = Partial<{ [K in keyof typeof rewardFields]: z.infer<(typeof rewardFields)[K]> }>

/** The settings a create or update body names, in the store's terms (absent fields stay absent). */
export function rewardSettings(body: RewardBody): Partial<RewardSettings> {
  const settings: Partial<RewardSettings> = {
    title: body.title,
    prompt: body.prompt,
    cost: body.cost,
    backgroundColor: body.background_color,
    isEnabled: body.is_enabled,
    isPaused: body.is_paused,
    isUserInputRequired: body.is_user_input_required,
    isMaxPerStreamEnabled: body.is_max_per_stream_enabled,
    maxPerStream: body.max_per_stream,
    isMaxPerUserPerStreamEnabled: body.is_max_per_user_per_stream_enabled,
    maxPerUserPerStream: body.max_per_user_per_stream,
    isGlobalCooldownEnabled: body.is_global_cooldown_enabled,
    globalCooldownSeconds: body.global_cooldown_seconds,
    shouldRedemptionsSkipRequestQueue: body.should_redemptions_skip_request_queue,
  }
  return Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined))
}
