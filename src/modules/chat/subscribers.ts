import { subscriptionsEvents, type SubscriptionsEvent } from '../../contracts/subscriptions.ts'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import { consume } from '../../platform/events/consume.ts'
import type { Transaction } from '../../platform/events/types.ts'
import type { Subscriber } from './chat-services.ts'

type SubscriptionPayload = SubscriptionsEvent<'subscriptions.subscription_started.v1'> | SubscriptionsEvent<'subscriptions.subscription_ended.v1'>

/** Twitch's founders: the first ten users to subscribe to a channel, while their first subscription runs unbroken. */
export const FOUNDERS = 10

/**
 * Applies one subscription event to `chat_subscribers` if its `version` is above the one held
 * (events of one subscription can arrive out of order and twice); true when it was. `tier` is
 * the one the current period was paid at, `endedAt` set once the subscription ended. Whatever
 * the version, the user's first subscription to the channel moves to the earliest the event
 * tells (`started` marks a start; `occurred_at` of a first month's start is exact).
 */
export async function projectSubscription(
  tx: Transaction,
  subscription: Omit<SubscriptionPayload, 'ended_at' | 'reason'> & { occurred_at?: string },
  change: { tier?: Subscriber['tier']; endedAt?: string; started?: boolean } = {},
): Promise<boolean> {
  const s = subscription
  const applied = await tx.sql`
    insert into chat_subscribers (subscription_id, broadcaster_id, user_id, tier, cumulative_months, streak_months, is_gift, current_period_end, ended_at, version)
    values (${s.subscription_id}, ${s.broadcaster_id}, ${s.user_id}, ${change.tier ?? s.tier}, ${s.cumulative_months}, ${s.streak_months}, ${s.is_gift},
            ${s.current_period_end}, ${change.endedAt ?? null}, ${s.version})
    on conflict (subscription_id) do update set
      tier = excluded.tier, cumulative_months = excluded.cumulative_months, streak_months = excluded.streak_months, is_gift = excluded.is_gift,
      current_period_end = excluded.current_period_end, ended_at = excluded.ended_at, version = excluded.version
    where chat_subscribers.version < excluded.version
    returning 1`
  const exact = change.started === true && s.cumulative_months === 1 && s.occurred_at !== undefined
  await tx.sql`
    insert into chat_first_subscriptions (broadcaster_id, user_id, subscribed_at)
    values (${s.broadcaster_id}, ${s.user_id},
            coalesce(${exact ? s.occurred_at! : null}::timestamptz, ${s.current_period_end}::timestamptz - make_interval(months => ${s.cumulative_months})))
    on conflict (broadcaster_id, user_id) do update set subscribed_at = least(chat_first_subscriptions.subscribed_at, excluded.subscribed_at)`
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
   * tier, cumulative months and whether the user is one of its founders, for badges and
   * subscribers-only mode.
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
      // A founder: among the channel's first ten subscribers, and never lapsed since (every month in one streak).
      const [row] = await sql<{ tier: Subscriber['tier']; months: number; founder: boolean }[]>`
        select s.tier, s.cumulative_months as months,
               s.streak_months = s.cumulative_months and ${userId}::bigint in (
                 select f.user_id from chat_first_subscriptions f where f.broadcaster_id = ${broadcasterId}
                 order by f.subscribed_at, f.user_id limit ${FOUNDERS}) as founder
        from chat_subscribers s
        where s.broadcaster_id = ${broadcasterId} and s.user_id = ${userId} and s.ended_at is null and s.current_period_end > now()
        order by s.current_period_end desc limit 1`
      return row && { tier: row.tier, months: row.months, ...(row.founder && { founder: true }) }
    },
  }
}
