import type { SubscriptionsEvent } from '../../contracts/subscriptions.ts'
import type { Sql, TransactionSql } from 'postgres'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import { subscriptionsError } from './errors.ts'
import { once } from './idempotency.ts'
import { credit } from './points.ts'
import { publish, statementEvents } from './publish.ts'

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

/** Why a redemption was refused, most fundamental reason first (the order the statement checks them in). */
type Refusal =
  | 'reward.not_found'
  | 'reward.unavailable'
  | 'redemption.input_required'
  | 'reward.out_of_stock'
  | 'reward.cooldown'
  | 'reward.user_limit'
  | 'channel_points.insufficient'

const REFUSALS: Record<Refusal, string> = {
  'reward.not_found': 'The channel has no reward with this id',
  'reward.unavailable': 'This reward is disabled or paused',
  'redemption.input_required': 'This reward needs a message',
  'reward.out_of_stock': 'This reward was redeemed as often as it may be this stream',
  'reward.cooldown': 'This reward is cooling down',
  'reward.user_limit': 'You redeemed this reward as often as you may this stream',
  'channel_points.insufficient': 'Not enough channel points for this reward',
}

const refuse = (refusal: Refusal): never => {
  throw subscriptionsError(
    refusal,
    REFUSALS[refusal],
    refusal === 'redemption.input_required' ? { errors: [{ field: 'user_input', message: 'required by this reward' }] } : undefined,
  )
}

/** The redemption written, or why not: a refusal of the reward's settings, else which limit held it back. */
type Outcome = { found: boolean; refused: Refusal | null; limited: boolean; short: boolean } & (RedemptionRow | { id: null })

/**
 * A redemption in one statement, so no transaction is needed around it (one round trip). The
 * reward's row is locked first and read `for update`, which gives its latest version (the
 * counters and cooldown of a concurrent redemption that committed meanwhile); then the balance
 * and the viewer's count of this reward, the same way. Every write waits on the last gate, the
 * per-user count's conditional upsert (its conflict sees a count a concurrent redemption just
 * inserted): the points taken (the CHECK keeps a balance ≥ 0 even for a bug), the redemption,
 * its ledger entry, the reward's counters and cooldown, and its event — all of it or nothing.
 * A refusal names the first reason that holds; only when a concurrent redemption by the same
 * viewer created the count and the balance is short too is it `channel_points.insufficient`
 * rather than `reward.user_limit` (both hold).
 */
async function redeemIn(sql: Sql | TransactionSql, broadcasterId: string, rewardId: string, userId: string, userInput: string): Promise<Redemption> {
  const [outcome] = await sql<Outcome[]>`
    with reward as (
      select id, title, prompt, cost, should_redemptions_skip_request_queue as skip_queue,
        is_max_per_user_per_stream_enabled as per_user, max_per_user_per_stream as per_user_max,
        case
          when not is_enabled or is_paused then 'reward.unavailable'
          when is_user_input_required and ${userInput.trim() === ''} then 'redemption.input_required'
          when is_max_per_stream_enabled and redemptions_redeemed_current_stream >= max_per_stream then 'reward.out_of_stock'
          when is_global_cooldown_enabled and coalesce(cooldown_expires_at > now(), false) then 'reward.cooldown'
        end as refused
      from custom_rewards where id = ${rewardId} and broadcaster_id = ${broadcasterId} for update
    ), wallet as (
      select balance from channel_points
      where broadcaster_id = ${broadcasterId} and user_id = ${userId} and exists (select from reward where refused is null)
      for update
    ), tally as (
      select count from reward_user_counts
      where reward_id = ${rewardId} and user_id = ${userId} and exists (select from reward where refused is null and per_user)
      for update
    ), checked as (
      select reward.*, coalesce((select count >= per_user_max from tally), false) as limited,
        coalesce((select balance < cost from wallet), true) as short
      from reward where refused is null
    ), counted as (
      insert into reward_user_counts (reward_id, user_id, count)
      select id, ${userId}, 1 from checked where per_user and not limited and not short
      on conflict (reward_id, user_id) do update set count = reward_user_counts.count + 1
        where reward_user_counts.count < (select per_user_max from checked)
      returning 1
    ), passed as (
      select * from checked where not limited and not short and (not per_user or exists (select from counted))
    ), spent as (
      update channel_points set balance = balance - passed.cost from passed
      where broadcaster_id = ${broadcasterId} and user_id = ${userId} and balance >= passed.cost
      returning passed.*
    ), redeemed as (
      insert into redemptions (broadcaster_id, reward_id, reward_title, reward_prompt, user_id, user_input, cost, status)
      select ${broadcasterId}, id, title, prompt, ${userId}, ${userInput}, cost,
        case when skip_queue then 'FULFILLED' else 'UNFULFILLED' end from spent
      returning ${sql.unsafe(RETURNING)}
    ), booked as (
      insert into channel_points_ledger (broadcaster_id, user_id, delta, reason, reference)
      select ${broadcasterId}, ${userId}, -cost, 'redemption', id from redeemed
    ), counters as (
      update custom_rewards set redemptions_redeemed_current_stream = redemptions_redeemed_current_stream + 1,
        cooldown_expires_at = case when is_global_cooldown_enabled
          then now() + make_interval(secs => global_cooldown_seconds) else cooldown_expires_at end
      where id = (select reward_id from redeemed)
    ), announced as (
      ${statementEvents.outbox(
        sql,
        'subscriptions.redemption_added.v1',
        sql`select json_build_object('id', id, 'broadcaster_id', broadcaster_id, 'user_id', user_id, 'user_input', user_input,
          'status', status, 'redeemed_at', redeemed_at,
          'reward', json_build_object('id', reward_id, 'title', reward_title, 'prompt', reward_prompt, 'cost', cost)) as payload
        from redeemed`,
      )}
    )
    select reward.id is not null as found, reward.refused, coalesce(checked.limited or (checked.per_user and not checked.short
        and not exists (select from counted)), false) as limited, coalesce(checked.short, false) as short, redeemed.*
    from (select) as one left join reward on true left join checked on true left join redeemed on true`
  if (!outcome) throw new Error('redemption statement returned nothing')
  if (outcome.id === null) {
    if (!outcome.found) return refuse('reward.not_found')
    return refuse(outcome.refused ?? (outcome.limited ? 'reward.user_limit' : 'channel_points.insufficient'))
  }
  const { cursorAt: _, ...redemption } = view(outcome)
  return statementEvents.check('subscriptions.redemption_added.v1', redemption)
}

/**
 * Redeeming and moving redemptions. A redemption is one statement, its event included (in
 * the transaction that claims its Idempotency-Key when it has one); once it has committed, it
 * wakes the relay itself rather than by a NOTIFY in the statement (`statementEvents.committed`).
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
      if (idempotencyKey === undefined) {
        const redemption = await redeemIn(database.sql, broadcasterId, rewardId, userId, userInput)
        statementEvents.committed(database.sql)
        return { redemption, replayed: false }
      }
      const { answer, replayed } = await once(
        database,
        { userId, operation: 'redeem', key: idempotencyKey, request: { broadcasterId, rewardId, userInput } },
        async (tx) => ({ status: 201, body: await redeemIn(tx.sql, broadcasterId, rewardId, userId, userInput) }),
      )
      if (!replayed) statementEvents.committed(database.sql)
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
