import { chatEvents, type ChatEvent } from '../../contracts/chat.ts'
import { streamsEvents, type StreamsEvent } from '../../contracts/streams.ts'
import { subscriptionsEvents, type SubscriptionsEvent } from '../../contracts/subscriptions.ts'
import { usersEvents } from '../../contracts/users.ts'
import type { Transaction } from '../../platform/db/database.ts'
import { consume } from '../../platform/events/consume.ts'
import type { EventEnvelope } from '../../platform/events/types.ts'
import {
  addChatters,
  addRevenue,
  addToMinutes,
  addToTotals,
  addUserDays,
  addWatchers,
  claimFacts,
  dayOf,
  markLate,
  minuteOf,
  tierCounter,
  type ChatterMinute,
  type MinuteDelta,
  type RevenueDelta,
  type UserDay,
  type WatchedMinute,
} from './buckets.ts'

/** What one fact does to the buckets; `key` names the fact, whatever event carried it. */
type Fact = {
  key: string
  minutes?: MinuteDelta[]
  revenue?: RevenueDelta[]
  totals?: [name: string, value: number][]
  watchers?: WatchedMinute[]
  days?: UserDay[]
  chatters?: ChatterMinute[]
  /** A subscription's state, applied once the fact is claimed. */
  extra?: (tx: Transaction) => Promise<void>
}

/**
 * Applies the facts of a batch: each fact's key is claimed once (a fact repeated under another
 * event id adds nothing), then the claimed ones' deltas go in a few statements for the lot.
 */
async function applyFacts(tx: Transaction, facts: Fact[]): Promise<void> {
  const claimed = await claimFacts(tx, facts.map((f) => f.key))
  const fresh = facts.filter((f) => claimed.delete(f.key))
  await addToMinutes(tx, fresh.flatMap((f) => f.minutes ?? []))
  await addRevenue(tx, fresh.flatMap((f) => f.revenue ?? []))
  await markLate(tx, fresh.flatMap((f) => [...(f.minutes ?? []), ...(f.revenue ?? [])]))
  const totals = new Map<string, number>()
  for (const [name, value] of fresh.flatMap((f) => f.totals ?? [])) totals.set(name, (totals.get(name) ?? 0) + value)
  await addToTotals(tx, totals)
  await addWatchers(tx, fresh.flatMap((f) => f.watchers ?? []))
  await addUserDays(tx, fresh.flatMap((f) => f.days ?? []))
  await addChatters(tx, fresh.flatMap((f) => f.chatters ?? []))
  for (const fact of fresh) await fact.extra?.(tx)
}

/** A batch handler turning each event into its facts. */
const facts = <T extends string, P>(toFacts: (event: EventEnvelope<T, P>) => Fact[]) => ({
  handleMany: (tx: Transaction, events: EventEnvelope<T, P>[]) => applyFacts(tx, events.flatMap(toFacts)),
})

type ViewerMinutes = EventEnvelope<string, StreamsEvent<'streams.viewer_minutes.v1'>>

/** A chunk of one stream's minute: its viewers count in the channel's minute, the stream's unique viewers and each viewer's day. */
function viewerChunk({ payload: p }: ViewerMinutes): Fact[] {
  const minute = minuteOf(p.minute)
  const viewers = [...new Set(p.user_ids)]
  return [
    {
      key: `viewers:${p.stream_id}:${minute}:${p.chunk}`,
      minutes: [{ broadcasterId: p.broadcaster_id, minute, add: { viewers: viewers.length, anonymous_viewers: p.anonymous_viewers } }],
      watchers: viewers.map((userId) => ({ streamId: p.stream_id, userId })),
      days: viewers.map((userId) => ({ userId, broadcasterId: p.broadcaster_id, day: dayOf(minute), watchMinutes: 1, chatMessages: 0 })),
    },
  ]
}

type ChatActivity = EventEnvelope<string, ChatEvent<'chat.activity.v1'>>

/** A chunk of one channel's chat minute: its chatters and messages, and each chatter's day. */
function chatChunk({ payload: p }: ChatActivity): Fact[] {
  const minute = minuteOf(p.minute)
  const perUser = new Map<string, number>()
  for (const { user_id, messages } of p.chatters) perUser.set(user_id, (perUser.get(user_id) ?? 0) + messages)
  const chatters = [...perUser.keys()]
  const messages = chatters.map((id) => perUser.get(id)!)
  const total = messages.reduce((a, b) => a + b, 0)
  return [
    {
      key: `chat:${p.broadcaster_id}:${minute}:${p.chunk}`,
      minutes: [{ broadcasterId: p.broadcaster_id, minute, add: { chatters: chatters.length, messages: total } }],
      totals: [['chat_messages', total]],
      chatters: chatters.map((userId, i) => ({ broadcasterId: p.broadcaster_id, minute, userId, messages: messages[i]! })),
      days: chatters.map((userId, i) => ({ userId, broadcasterId: p.broadcaster_id, day: dayOf(minute), watchMinutes: 0, chatMessages: messages[i]! })),
    },
  ]
}

type Subscription = SubscriptionsEvent<'subscriptions.subscription_tier_changed.v1'>

/** The subscription's state, kept when `version` is the newest seen: what the active-subscriptions gauge counts. */
const subscriptionState = (s: Omit<Subscription, 'from_tier' | 'effective_at'>, active: boolean) => async (tx: Transaction) => {
  await tx.sql`
    insert into subscription_states (subscription_id, broadcaster_id, tier, active, current_period_end, version)
    values (${s.subscription_id}, ${s.broadcaster_id}::bigint, ${s.tier}, ${active}, ${s.current_period_end}::timestamptz, ${s.version})
    on conflict (subscription_id) do update set tier = excluded.tier, active = excluded.active,
      current_period_end = excluded.current_period_end, version = excluded.version
    where subscription_states.version < excluded.version`
}

const revenueTotal = (currency: string, amount: number): [string, number][] => (amount > 0 ? [[`revenue:${currency}`, amount]] : [])

/** A paid period of a subscription: its money, and a new sub when it is the first bought one. */
function paidPeriod(s: SubscriptionsEvent<'subscriptions.subscription_started.v1'>, started: boolean): Fact {
  const minute = minuteOf(s.occurred_at)
  const bought = !s.is_gift
  return {
    key: `subscription:${s.subscription_id}:${s.version}`,
    minutes: started && bought ? [{ broadcasterId: s.broadcaster_id, minute, add: { [tierCounter('new_subs', s.tier)]: 1 } }] : [],
    // A gifted sub's money is the gift's.
    revenue: bought ? [{ broadcasterId: s.broadcaster_id, minute, source: 'subscription', tier: s.tier, currency: s.currency, amount: s.amount }] : [],
    totals: bought ? revenueTotal(s.currency, s.amount) : [],
    extra: subscriptionState(s, true),
  }
}

/**
 * Every module's events, as facts in the buckets. Events carry their own time (`followed_at`,
 * `occurred_at`, a minute): a late one lands in the minute it happened. A raid's completion
 * carries none, so it takes the time its producer committed it (`occurredAt`).
 */
export const analyticsConsumers = {
  ...consume(streamsEvents, {
    'streams.online.v1': async (tx, { payload: p }) => {
      await tx.sql`
        insert into stream_analytics (stream_id, broadcaster_id, started_at) values (${p.stream_id}::bigint, ${p.broadcaster_id}::bigint, ${p.started_at}::timestamptz)
        on conflict (stream_id) do update set started_at = excluded.started_at, changes = stream_analytics.changes + 1
        where stream_analytics.started_at is distinct from excluded.started_at`
    },
    'streams.offline.v1': async (tx, { payload: p }) => {
      await tx.sql`
        insert into stream_analytics (stream_id, broadcaster_id, ended_at) values (${p.stream_id}::bigint, ${p.broadcaster_id}::bigint, ${p.ended_at}::timestamptz)
        on conflict (stream_id) do update set ended_at = excluded.ended_at, changes = stream_analytics.changes + 1
        where stream_analytics.ended_at is distinct from excluded.ended_at`
    },
    'streams.viewer_minutes.v1': facts(viewerChunk),
    'streams.raid_completed.v1': facts(({ payload: p, occurredAt }) => {
      const minute = minuteOf(occurredAt)
      return [
        {
          key: `raid:${p.raid_id}`,
          minutes: [
            { broadcasterId: p.from_broadcaster_id, minute, add: { raids_out: 1, raid_viewers_out: p.viewer_count } },
            { broadcasterId: p.to_broadcaster_id, minute, add: { raids_in: 1, raid_viewers_in: p.viewer_count } },
          ],
        },
      ]
    }),
  }),
  ...consume(chatEvents, { 'chat.activity.v1': facts(chatChunk) }),
  ...consume(usersEvents, {
    // A follow is a fact per (follower, channel, version): the users snapshot replaying it adds nothing.
    'users.followed.v1': facts(({ payload: p }) => [
      {
        key: `follow:${p.follower_id}:${p.followed_id}:${p.version}`,
        minutes: [{ broadcasterId: p.followed_id, minute: minuteOf(p.followed_at), add: { follows: 1 } }],
        totals: [['follows', 1]],
      },
    ]),
  }),
  ...consume(subscriptionsEvents, {
    'subscriptions.subscription_started.v1': facts(({ payload }) => [paidPeriod(payload, true)]),
    'subscriptions.subscription_renewed.v1': facts(({ payload }) => [paidPeriod(payload, false)]),
    'subscriptions.subscription_tier_changed.v1': facts(({ payload: s }) => [
      { key: `subscription:${s.subscription_id}:${s.version}`, extra: subscriptionState(s, true) },
    ]),
    'subscriptions.subscription_ended.v1': facts(({ payload: s }) => [
      { key: `subscription:${s.subscription_id}:${s.version}`, extra: subscriptionState(s, false) },
    ]),
    'subscriptions.gift_sent.v1': facts(({ payload: g }) => {
      const minute = minuteOf(g.occurred_at)
      return [
        {
          key: `gift:${g.gift_id}`,
          minutes: [{ broadcasterId: g.broadcaster_id, minute, add: { [tierCounter('gifted_subs', g.tier)]: g.count } }],
          revenue: [{ broadcasterId: g.broadcaster_id, minute, source: 'gift', tier: g.tier, currency: g.currency, amount: g.amount }],
          totals: revenueTotal(g.currency, g.amount),
        },
      ]
    }),
    'subscriptions.donation_received.v1': facts(({ payload: d }) => {
      const minute = minuteOf(d.occurred_at)
      return [
        {
          key: `donation:${d.donation_id}`,
          minutes: [{ broadcasterId: d.broadcaster_id, minute, add: { donations: 1 } }],
          revenue: [{ broadcasterId: d.broadcaster_id, minute, source: 'donation', tier: '', currency: d.currency, amount: d.amount }],
          totals: revenueTotal(d.currency, d.amount),
        },
      ]
    }),
    'subscriptions.donation_refunded.v1': facts(({ payload: d }) => [
      {
        key: `refund:${d.donation_id}`,
        revenue: [{ broadcasterId: d.broadcaster_id, minute: minuteOf(d.occurred_at), source: 'refund', tier: '', currency: d.currency, amount: -d.amount }],
      },
    ]),
    'subscriptions.redemption_added.v1': facts(({ payload: r }) => [
      {
        key: `redemption:${r.id}`,
        minutes: [{ broadcasterId: r.broadcaster_id, minute: minuteOf(r.redeemed_at), add: { redemptions: 1 } }],
        totals: [['redemptions', 1]],
      },
    ]),
  }),
}
