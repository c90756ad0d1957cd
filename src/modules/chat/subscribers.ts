import { subscriptionsEvents, type SubscriptionsEvent } from '../../contracts/subscriptions.ts'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import { consume } from '../../platform/events/consume.ts'
import type { Transaction } from '../../platform/events/types.ts'
import type { Subscriber } from './chat-services.ts'

type SubscriptionPayload = SubscriptionsEvent<'subscriptions.subscription_started.v1'> | SubscriptionsEvent<'subscriptions.subscription_ended.v1'>

/**
 * Applies one subscription event to `chat_subscribers` if its `version` is above the one held
 * (events of one subscription can arrive out of order and twice); true when it was. `tier` is
 * the one the current period was paid at, `endedAt` set once the subscription ended.
 */
export async function projectSubscription(
  tx: Transaction,
  subscription: Omit<SubscriptionPayload, 'ended_at' | 'reason'>,
  change: { tier?: Subscriber['tier']; endedAt?: string } = {},
): Promise<boolean> {
  const s = subscription
  const applied = await tx.sql`
    insert into chat_subscribers (subscription_id, broadcaster_id, user_id, tier, cumulative_months, is_gift, current_period_end, ended_at, version)
    values (${s.subscription_id}, ${s.broadcaster_id}, ${s.user_id}, ${change.tier ?? s.tier}, ${s.cumulative_months}, ${s.is_gift},
            ${s.current_period_end}, ${change.endedAt ?? null}, ${s.version})
    on conflict (subscription_id) do update set
      tier = excluded.tier, cumulative_months = excluded.cumulative_months, is_gift = excluded.is_gift,
      current_period_end = excluded.current_period_end, ended_at = excluded.ended_at, version = excluded.version
    where chat_subscribers.version < excluded.version
    returning 1`
  return applied.length > 0
}

/**
 * The projection's handlers for the events nothing announces (started and renewed are
 * announcements.ts's, which project them too). A tier change takes effect at the next period,
 * whose renewal carries the new tier: until then the badge keeps `from_tier`.
 */
export const subscribersProjection = consume(subscriptionsEvents, {
  'subscriptions.subscription_tier_changed.v1': async (tx, { payload }) => {
    await projectSubscription(tx, payload, { tier: payload.from_tier })
  },
  'subscriptions.subscription_ended.v1': async (tx, { payload }) => {
    await projectSubscription(tx, payload, { endedAt: payload.ended_at })
  },
})

export type Subscribers = {
  /**
   * The user's running subscription to the channel (not ended, its period not over), with its
   * tier and cumulative months, for badges and subscribers-only mode.
   * @example
   * await subscribers.subscriberOf('42', '7') // { tier: '1000', months: 3 }
   */
  subscriberOf: (broadcasterId: string, userId: string) => Promise<Subscriber | undefined>
}

const ID = /^[1-9][0-9]{0,18}$/

export function createSubscribers(database: ModuleDatabase): Subscribers {
  const { sql } = database
  return {
    async subscriberOf(broadcasterId, userId) {
      if (!ID.test(broadcasterId) || !ID.test(userId)) return undefined
      const [row] = await sql<{ tier: Subscriber['tier']; months: number }[]>`
        select tier, cumulative_months as months from chat_subscribers
        where broadcaster_id = ${broadcasterId} and user_id = ${userId} and ended_at is null and current_period_end > now()
        order by current_period_end desc limit 1`
      return row && { tier: row.tier, months: row.months }
    },
  }
}
