import type { Sql } from 'postgres'
import { subscriptionsEvents } from '../../contracts/subscriptions.ts'
import { snapshotOf } from '../../platform/events/snapshot.ts'
import { SUBSCRIPTION_COLUMNS, subscriptionEventView, type SubscriptionRow } from './subscriptions.ts'

const PAGE = 500

type RewardRow = {
  id: string
  broadcaster_id: string
  title: string
  prompt: string
  cost: string
  background_color: string
  is_enabled: boolean
  is_paused: boolean
  is_user_input_required: boolean
  version: number
}

const rewardsAfter = (sql: Sql, after: string) => sql<RewardRow[]>`
  select id, broadcaster_id::text as broadcaster_id, title, prompt, cost::text as cost, background_color,
         is_enabled, is_paused, is_user_input_required, version
  from custom_rewards where id > ${after}::uuid order by id limit ${PAGE}`

type ActiveRow = SubscriptionRow & { amount: string; currency: string }

/**
 * Active subscriptions with what their current period was paid: a bought one's latest
 * subscription payment in the channel, a gifted one 0 in its gift's currency, 0 in the tier's
 * currency when no payment is known.
 */
const activeAfter = (sql: Sql, after: string) => sql<ActiveRow[]>`
  select s.*,
    case when s.is_gift then 0 else coalesce(paid.amount, 0) end as amount,
    coalesce(case when s.is_gift then gift.currency else paid.currency end, tier.currency, 'USD') as currency
  from (
    select ${sql.unsafe(SUBSCRIPTION_COLUMNS)}, gift_id from subscriptions
    where status = 'active' and id > ${after}::uuid order by id limit ${PAGE}
  ) s
  left join lateral (
    select p.amount, p.currency from payments p
    where p.purchaser_id = s.user_id::bigint and p.broadcaster_id = s.broadcaster_id::bigint
      and p.kind = 'subscription' and p.status = 'succeeded'
    order by p.created_at desc limit 1
  ) paid on true
  left join lateral (select p.currency from subscription_gifts g join payments p on p.id = g.payment_id where g.id = s.gift_id) gift on true
  left join subscription_tiers tier on tier.broadcaster_id = s.broadcaster_id::bigint and tier.tier = s.tier
  order by s.id`

/**
 * The module's current state for a consumer that joins late: every active subscription (as
 * its start, with its months and version: chat's badges, analytics' subscribers) and every
 * custom reward as it now is, with its version. Redemptions, gifts and payments are not
 * replayed: they are moments, told when they happen.
 */
export const subscriptionsSnapshot = snapshotOf(subscriptionsEvents, async function* ({ sql, types }) {
  if (types.has('subscriptions.subscription_started.v1')) {
    for (let after = '00000000-0000-0000-0000-000000000000'; ; ) {
      const page = await activeAfter(sql, after)
      const last = page.at(-1)
      if (!last) break
      yield page.map((row) => ({
        type: 'subscriptions.subscription_started.v1' as const,
        payload: {
          ...subscriptionEventView(row),
          message: '',
          amount: Number(row.amount),
          currency: row.currency,
          occurred_at: row.current_period_start.toISOString(),
        },
      }))
      after = last.id
    }
  }
  if (!types.has('subscriptions.reward_changed.v1')) return
  for (let after = '00000000-0000-0000-0000-000000000000'; ; ) {
    const page = await rewardsAfter(sql, after)
    const last = page.at(-1)
    if (!last) break
    yield page.map((reward) => ({
      type: 'subscriptions.reward_changed.v1' as const,
      payload: {
        reward_id: reward.id,
        broadcaster_id: reward.broadcaster_id,
        title: reward.title,
        prompt: reward.prompt,
        cost: Number(reward.cost),
        background_color: reward.background_color,
        is_enabled: reward.is_enabled,
        is_paused: reward.is_paused,
        is_user_input_required: reward.is_user_input_required,
        deleted: false,
        version: reward.version,
      },
    }))
    after = last.id
  }
})
