import type { SubscriptionsEvent } from '../../contracts/subscriptions.ts'
import type { ModuleDatabase, Transaction } from '../../platform/db/database.ts'
import { subscriptionsError } from './errors.ts'
import { once } from './idempotency.ts'
import { credit, spend } from './points.ts'
import { publish } from './publish.ts'

export type RedemptionStatus = 'UNFULFILLED' | 'FULFILLED' | 'CANCELED'
/** A redemption as the API and its events show it (the reward as it was when redeemed). */
export type Redemption = SubscriptionsEvent<'subscriptions.redemption_added.v1'>

type RedemptionRow = {
  id: string
  broadcaster_id: string
  user_id: string
  user_input: string
  status: RedemptionStatus
  redeemed_at: string
  cursor_at: string
  reward_id: string
  reward_title: string
  reward_prompt: string
  cost: string
}

type LockedReward = {
  title: string
  prompt: string
  cost: string
  is_enabled: boolean
  is_paused: boolean
  is_user_input_required: boolean
  is_max_per_stream_enabled: boolean
  max_per_stream: number
  redemptions_redeemed_current_stream: number
  is_max_per_user_per_stream_enabled: boolean
  max_per_user_per_stream: number
  is_global_cooldown_enabled: boolean
  global_cooldown_seconds: number
  should_redemptions_skip_request_queue: boolean
  cooling: boolean
}

/** Where a page of redemptions resumes: the last row's `redeemed_at::text` and id. */
export type RedemptionCursor = readonly [cursorAt: string, id: string]

const RETURNING = `id, broadcaster_id::text, user_id::text, user_input, status, to_json(redeemed_at)#>>'{}' as redeemed_at,
  redeemed_at::text as cursor_at, reward_id, reward_title, reward_prompt, cost`

const view = (row: RedemptionRow): Redemption & { cursorAt: string } => ({
  id: row.id,
  broadcaster_id: row.broadcaster_id,
  user_id: row.user_id,
  user_input: row.user_input,
  status: row.status,
  redeemed_at: row.redeemed_at,
  reward: { id: row.reward_id, title: row.reward_title, prompt: row.reward_prompt, cost: Number(row.cost) },
  cursorAt: row.cursor_at,
})

/** Refuses a redemption the reward's state does not allow, most fundamental reason first. */
function checkRedeemable(reward: LockedReward | undefined, userInput: string): asserts reward is LockedReward {
  if (!reward) throw subscriptionsError('reward.not_found', 'The channel has no reward with this id')
  if (!reward.is_enabled || reward.is_paused) throw subscriptionsError('reward.unavailable', 'This reward is disabled or paused')
  if (reward.is_user_input_required && userInput.trim() === '') {
    throw subscriptionsError('redemption.input_required', 'This reward needs a message', {
      errors: [{ field: 'user_input', message: 'required by this reward' }],
    })
  }
  if (reward.is_max_per_stream_enabled && reward.redemptions_redeemed_current_stream >= reward.max_per_stream) {
    throw subscriptionsError('reward.out_of_stock', 'This reward was redeemed as often as it may be this stream')
  }
  if (reward.is_global_cooldown_enabled && reward.cooling) throw subscriptionsError('reward.cooldown', 'This reward is cooling down')
}

/** Counts the user's redemption of the reward this stream; `reward.user_limit` past its limit. */
async function countForUser(tx: Transaction, rewardId: string, userId: string, max: number): Promise<void> {
  const [counted] = await tx.sql`
    insert into reward_user_counts (reward_id, user_id, count) values (${rewardId}, ${userId}, 1)
    on conflict (reward_id, user_id) do update set count = reward_user_counts.count + 1
    where reward_user_counts.count < ${max}
    returning count`
  if (!counted) throw subscriptionsError('reward.user_limit', 'You redeemed this reward as often as you may this stream')
}

/** A redemption in `tx`: the reward locked, its limits counted, the points spent, the row and its event written. */
async function redeemIn(tx: Transaction, broadcasterId: string, rewardId: string, userId: string, userInput: string): Promise<Redemption> {
  const [reward] = await tx.sql<LockedReward[]>`
    select *, coalesce(cooldown_expires_at > now(), false) as cooling from custom_rewards
    where id = ${rewardId} and broadcaster_id = ${broadcasterId} for update`
  checkRedeemable(reward, userInput)
  if (reward.is_max_per_user_per_stream_enabled) await countForUser(tx, rewardId, userId, reward.max_per_user_per_stream)
  await tx.sql`
    update custom_rewards set redemptions_redeemed_current_stream = redemptions_redeemed_current_stream + 1,
      cooldown_expires_at = case when is_global_cooldown_enabled
        then now() + make_interval(secs => global_cooldown_seconds) else cooldown_expires_at end
    where id = ${rewardId}`
  const status: RedemptionStatus = reward.should_redemptions_skip_request_queue ? 'FULFILLED' : 'UNFULFILLED'
  const [row] = await tx.sql<RedemptionRow[]>`
    insert into redemptions (broadcaster_id, reward_id, reward_title, reward_prompt, user_id, user_input, cost, status)
    values (${broadcasterId}, ${rewardId}, ${reward.title}, ${reward.prompt}, ${userId}, ${userInput}, ${reward.cost}, ${status})
    returning ${tx.sql.unsafe(RETURNING)}`
  if (!row) throw new Error('redemption insert returned nothing')
  await spend(tx, { broadcasterId, userId, delta: Number(reward.cost), reason: 'redemption', reference: row.id })
  const { cursorAt: _, ...redemption } = view(row)
  await publish(tx, 'subscriptions.redemption_added.v1', redemption)
  return redemption
}

/**
 * Redeeming and moving redemptions. A redemption is one transaction: the reward's row is
 * locked first (its counters and cooldown), then the points are spent with a conditional
 * UPDATE, the row written and its event put in the outbox — all of it or none.
 */
export function createRedemptions(database: ModuleDatabase) {
  return {
    /**
     * With `idempotencyKey`, a retry of the same request gets the first redemption back
     * (`replayed`) and spends nothing; the key with another request is `idempotency.mismatch`.
     */
    async redeem(
      request: { broadcasterId: string; rewardId: string; userId: string; userInput: string },
      idempotencyKey?: string,
    ): Promise<{ redemption: Redemption; replayed: boolean }> {
      const { broadcasterId, rewardId, userId, userInput } = request
      const work = (tx: Transaction) => redeemIn(tx, broadcasterId, rewardId, userId, userInput)
      if (idempotencyKey === undefined) return { redemption: await database.transaction(work), replayed: false }
      const { answer, replayed } = await once(
        database,
        { userId, operation: 'redeem', key: idempotencyKey, request: { broadcasterId, rewardId, userInput } },
        async (tx) => ({ status: 201, body: await work(tx) }),
      )
      // What `work` returned, stored as JSON and read back.
      return { redemption: answer.body as Redemption, replayed }
    },

    /**
     * Fulfills or cancels UNFULFILLED redemptions of the reward (a cancel refunds them, once
     * each: the ledger names the refund by the redemption's id). `redemption.not_found` when
     * none of `ids` was one.
     */
    updateStatus: (broadcasterId: string, rewardId: string, ids: string[], status: 'FULFILLED' | 'CANCELED'): Promise<Redemption[]> =>
      database.transaction(async (tx) => {
        const rows = await tx.sql<RedemptionRow[]>`
          update redemptions set status = ${status}
          where id = any(${ids}::uuid[]) and broadcaster_id = ${broadcasterId} and reward_id = ${rewardId} and status = 'UNFULFILLED'
          returning ${tx.sql.unsafe(RETURNING)}`
        if (rows.length === 0) throw subscriptionsError('redemption.not_found', 'No UNFULFILLED redemption of this reward has these ids')
        const updated: Redemption[] = []
        // In id order, so concurrent cancels of one viewer's redemptions take the balance's lock the same way.
        for (const row of rows.sort((a, b) => (a.id < b.id ? -1 : 1))) {
          if (status === 'CANCELED') {
            await credit(tx, { broadcasterId, userId: row.user_id, delta: Number(row.cost), reason: 'refund', reference: row.id })
          }
          const { cursorAt: _, ...redemption } = view(row)
          await publish(tx, 'subscriptions.redemption_updated.v1', redemption)
          updated.push(redemption)
        }
        return updated
      }),

    /** The reward's redemptions in `status` (or those of `ids`), oldest or newest first. */
    async list(query: {
      broadcasterId: string
      rewardId: string
      status?: RedemptionStatus
      ids?: string[]
      newestFirst: boolean
      first: number
      after?: RedemptionCursor
    }): Promise<(Redemption & { cursorAt: string })[]> {
      const { sql } = database
      const direction = query.newestFirst ? sql`desc` : sql`asc`
      const rows = await sql<RedemptionRow[]>`
        select ${sql.unsafe(RETURNING)} from redemptions
        where broadcaster_id = ${query.broadcasterId} and reward_id = ${query.rewardId}
          ${query.status ? sql`and status = ${query.status}` : sql``}
          ${query.ids ? sql`and id = any(${query.ids}::uuid[])` : sql``}
          ${
            query.after
              ? query.newestFirst
                ? sql`and (redeemed_at, id) < (${query.after[0]}::timestamptz, ${query.after[1]}::uuid)`
                : sql`and (redeemed_at, id) > (${query.after[0]}::timestamptz, ${query.after[1]}::uuid)`
              : sql``
          }
        order by redeemed_at ${direction}, id ${direction}
        limit ${query.first + 1}`
      return rows.map(view)
    },
  }
}

export type Redemptions = ReturnType<typeof createRedemptions>
