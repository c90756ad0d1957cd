import { and, asc, eq, getTableColumns, inArray, sql } from 'drizzle-orm'
import type { ModuleDatabase, Transaction } from '../../platform/db/database.ts'
import { hasPgCode, PG } from '../../platform/db/errors.ts'
import { subscriptionsError } from './errors.ts'
import { publish } from './publish.ts'
import { customRewards } from './schema.ts'

export type CustomReward = typeof customRewards.$inferSelect & { isCooling: boolean }

/** The settings a broadcaster writes; `update` takes any of them. */
export type RewardSettings = Pick<
  typeof customRewards.$inferInsert,
  | 'title'
  | 'prompt'
  | 'cost'
  | 'backgroundColor'
  | 'isEnabled'
  | 'isPaused'
  | 'isUserInputRequired'
  | 'isMaxPerStreamEnabled'
  | 'maxPerStream'
  | 'isMaxPerUserPerStreamEnabled'
  | 'maxPerUserPerStream'
  | 'isGlobalCooldownEnabled'
  | 'globalCooldownSeconds'
  | 'shouldRedemptionsSkipRequestQueue'
>

// Cooling is the database's clock's say, like the expiry it compares with.
const selection = {
  ...getTableColumns(customRewards),
  isCooling: sql<boolean>`coalesce(${customRewards.cooldownExpiresAt} > now(), false)`,
}

/** Helix refuses an enabled limit without its value; checked on the settings as they end up. */
function checkCoherent(reward: typeof customRewards.$inferSelect): void {
  const errors = [
    reward.isMaxPerStreamEnabled && reward.maxPerStream < 1 && { field: 'max_per_stream', message: 'at least 1 when enabled' },
    reward.isMaxPerUserPerStreamEnabled &&
      reward.maxPerUserPerStream < 1 && { field: 'max_per_user_per_stream', message: 'at least 1 when enabled' },
    reward.isGlobalCooldownEnabled &&
      reward.globalCooldownSeconds < 1 && { field: 'global_cooldown_seconds', message: 'at least 1 when enabled' },
  ].filter((error) => error !== false)
  if (errors.length > 0) throw subscriptionsError('reward.invalid', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors })
}

/** The reward's settings as they now are, in the transaction that changed them. */
const announce = (tx: Transaction, reward: typeof customRewards.$inferSelect, deleted: boolean) =>
  publish(tx, 'subscriptions.reward_changed.v1', {
    reward_id: reward.id,
    broadcaster_id: String(reward.broadcasterId),
    title: reward.title,
    prompt: reward.prompt,
    cost: reward.cost,
    background_color: reward.backgroundColor,
    is_enabled: reward.isEnabled,
    is_paused: reward.isPaused,
    is_user_input_required: reward.isUserInputRequired,
    deleted,
    version: reward.version,
  })

const titleTaken = (error: unknown): never => {
  if (hasPgCode(error, PG.uniqueViolation)) {
    throw subscriptionsError('reward.title_taken', 'The channel has a reward with this title', {
      errors: [{ field: 'title', message: 'taken by another of your rewards' }],
    })
  }
  throw error
}

/** A broadcaster's custom rewards, at most `maxPerChannel` of them. Every change checks its settings in the transaction that writes them. */
export function createRewards(database: ModuleDatabase, maxPerChannel: number) {
  const { db } = database
  const find = (broadcasterId: string, id: string) =>
    db
      .select(selection)
      .from(customRewards)
      .where(and(eq(customRewards.id, id), eq(customRewards.broadcasterId, BigInt(broadcasterId))))
      .then((rows): CustomReward | undefined => rows[0])

  return {
    create: (broadcasterId: string, settings: RewardSettings): Promise<CustomReward> =>
      database
        .transaction(async (tx) => {
          // Creates of one channel wait for each other, so the count below stays true until commit.
          await tx.sql`select pg_advisory_xact_lock(hashtextextended(${`custom_rewards:${broadcasterId}`}, 0))`
          const [{ rewards } = { rewards: 0 }] = await tx.sql<{ rewards: number }[]>`
            select count(*)::int as rewards from custom_rewards where broadcaster_id = ${broadcasterId}`
          if (rewards >= maxPerChannel) throw subscriptionsError('reward.limit_reached', `A channel has at most ${maxPerChannel} custom rewards`)
          const [row] = await tx
            .insert(customRewards)
            .values({ ...settings, broadcasterId: BigInt(broadcasterId) })
            .returning(selection)
          if (!row) throw new Error('reward insert returned nothing')
          checkCoherent(row)
          await announce(tx, row, false)
          return row
        })
        .catch(titleTaken),

    /** `reward.not_found` unless the broadcaster has this reward. */
    update: async (broadcasterId: string, id: string, settings: Partial<RewardSettings>): Promise<CustomReward> => {
      if (Object.keys(settings).length === 0) {
        const reward = await find(broadcasterId, id)
        if (!reward) throw subscriptionsError('reward.not_found', 'The channel has no reward with this id')
        return reward
      }
      return database
        .transaction(async (tx) => {
          const [row] = await tx
            .update(customRewards)
            .set({ ...settings, version: sql`${customRewards.version} + 1` })
            .where(and(eq(customRewards.id, id), eq(customRewards.broadcasterId, BigInt(broadcasterId))))
            .returning(selection)
          if (!row) throw subscriptionsError('reward.not_found', 'The channel has no reward with this id')
          checkCoherent(row)
          await announce(tx, row, false)
          return row
        })
        .catch(titleTaken)
    },

    /** True when it existed; its redemptions stay (they carry the reward's title). */
    remove: (broadcasterId: string, id: string): Promise<boolean> =>
      database.transaction(async (tx) => {
        const [deleted] = await tx
          .delete(customRewards)
          .where(and(eq(customRewards.id, id), eq(customRewards.broadcasterId, BigInt(broadcasterId))))
          .returning()
        if (!deleted) return false
        await announce(tx, { ...deleted, version: deleted.version + 1 }, true)
        return true
      }),

    /** The channel's rewards, oldest first; only those of `ids` when given. */
    list: (broadcasterId: string, ids?: string[]): Promise<CustomReward[]> =>
      db
        .select(selection)
        .from(customRewards)
        .where(and(eq(customRewards.broadcasterId, BigInt(broadcasterId)), ids ? inArray(customRewards.id, ids) : undefined))
        .orderBy(asc(customRewards.createdAt), asc(customRewards.id)),

    find,
  }
}

export type Rewards = ReturnType<typeof createRewards>
