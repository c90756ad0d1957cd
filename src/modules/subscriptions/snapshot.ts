import type { Sql } from 'postgres'
import { subscriptionsEvents } from '../../contracts/subscriptions.ts'
import { snapshotOf } from '../../platform/events/snapshot.ts'

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

/**
 * The module's current state for a consumer that joins late: every custom reward as it now
 * is, with its version. Redemptions are not replayed: they are moments, shown when they happen.
 */
export const subscriptionsSnapshot = snapshotOf(subscriptionsEvents, async function* ({ sql, types }) {
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
