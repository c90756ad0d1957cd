import { chatEvents, type ChatEvent } from '../../contracts/chat.ts'
import { streamsEvents, type StreamsEvent } from '../../contracts/streams.ts'
import { subscriptionsEvents, type SubscriptionsEvent } from '../../contracts/subscriptions.ts'
import { usersEvents } from '../../contracts/users.ts'
import type { z } from 'zod'
import type { Transaction } from '../../platform/db/database.ts'
import { consume } from '../../platform/events/consume.ts'
import type { EventContracts, EventEnvelope } from '../../platform/events/types.ts'
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
import { keepSubscriptionStates, type SubscriptionState } from './subscription-states.ts'

/** What one fact does to the buckets; `key` names the fact, whatever event carried it. */
type Fact = {
  key: string
  minutes?: MinuteDelta[]
  revenue?: RevenueDelta[]
  totals?: [name: string, value: number][]
  watchers?: WatchedMinute[]
  days?: UserDay[]
  chatters?: ChatterMinute[]
  subscription?: SubscriptionState
}

/**
 * Applies the facts of a batch: each fact's key is claimed once (a fact repeated under another
 * event id adds nothing), then the claimed ones' deltas go in one statement per table for the lot.
 */
async function applyFacts(tx: Transaction, facts: Fact[]): Promise<void> {
  const claimed = await claimFacts(tx, facts.map((f) => f.key))
  const fresh = facts.filter((f) => claimed.delete(f.key))
  const totals = new Map<string, number>()
  for (const [name, value] of fresh.flatMap((f) => f.totals ?? [])) totals.set(name, (totals.get(name) ?? 0) + value)
  // Sent together, so one round trip: postgres.js pipelines them on the transaction's connection
  // and Postgres runs them in this order, the same in every transaction (no lock-order deadlocks).
  // The totals last: every batch updates their few rows, so a concurrent batch waits on them
  // only from there to this one's commit.
  await Promise.all([
    addToMinutes(tx, fresh.flatMap((f) => f.minutes ?? [])),
    addRevenue(tx, fresh.flatMap((f) => f.revenue ?? [])),
    markLate(tx, fresh.flatMap((f) => [...(f.minutes ?? []), ...(f.revenue ?? [])])),
    addWatchers(tx, fresh.flatMap((f) => f.watchers ?? [])),
    addUserDays(tx, fresh.flatMap((f) => f.days ?? [])),
    addChatters(tx, fresh.flatMap((f) => f.chatters ?? [])),
    keepSubscriptionStates(tx, fresh.flatMap((f) => (f.subscription ? [f.subscription] : []))),
    addToTotals(tx, totals),
  ])
}

/** Each fact-bearing event type's facts, registered by `asFacts`. */
const factsOf = new Map<string, (event: EventEnvelope) => Fact[]>()

/**
 * The one batch handler of every fact-bearing type: sharing it, the inbox hands it a delivery's
 * events of all those types in one call, and their facts go in one set of statements.
 */
const ingestFacts = {
  handleMany: (tx: Transaction, events: EventEnvelope[]) => applyFacts(tx, events.flatMap((event) => factsOf.get(event.type)!(event))),
}

/** Consumes `contracts`' events as facts: each type's own facts, all through `ingestFacts`. */
function asFacts<C extends EventContracts>(contracts: C, toFacts: { [T in keyof C & string]?: (event: EventEnvelope<T, z.output<C[T]>>) => Fact[] }) {
  for (const [type, of] of Object.entries(toFacts)) factsOf.set(type, of as (event: EventEnvelope) => Fact[])
  // The keys are `toFacts`' own, which makes the cast true.
  const handlers = Object.fromEntries(Object.keys(toFacts).map((type) => [type, ingestFacts])) as { [T in keyof C & string]?: typeof ingestFacts }
  return consume(contracts, handlers)
}

type ViewerMinutes = EventEnvelope<string, StreamsEvent<'streams.viewer_minutes.v1'>>

/** A chunk of one stream's minute: its viewers count in the channel's minute, the stream's unique viewers and each viewer's day. */
function viewerChunk({ payload: p }: ViewerMinutes): Fact[] {
  const minute = minuteOf(p.minute)
  const day = dayOf(minute)
  const viewers = [...new Set(p.user_ids)]
  return [
    {
      key: `viewers:${p.stream_id}:${minute}:${p.chunk}`,
      minutes: [{ broadcasterId: p.broadcaster_id, minute, add: { viewers: viewers.length, anonymous_viewers: p.anonymous_viewers } }],
      watchers: viewers.map((userId) => ({ streamId: p.stream_id, userId })),
      days: viewers.map((userId) => ({ userId, broadcasterId: p.broadcaster_id, day, watchMinutes: 1, chatMessages: 0 })),
    },
  ]
}

type ChatActivity = EventEnvelope<string, ChatEvent<'chat.activity.v1'>>

/** A chunk of one channel's chat minute: its chatters and messages, and each chatter's day. */
function chatChunk({ payload: p }: ChatActivity): Fact[] {
  const minute = minuteOf(p.minute)
  const day = dayOf(minute)
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
      days: chatters.map((userId, i) => ({ userId, broadcasterId: p.broadcaster_id, day, watchMinutes: 0, chatMessages: messages[i]! })),
    },
  ]
}

type Subscription = SubscriptionsEvent<'subscriptions.subscription_tier_changed.v1'>

/** The subscription's state at `version`: kept when it is the newest seen. */
const subscriptionState = (s: Omit<Subscription, 'from_tier' | 'effective_at'>, active: boolean): SubscriptionState => ({
  subscriptionId: s.subscription_id,
  broadcasterId: s.broadcaster_id,
  tier: s.tier,
  active,
  currentPeriodEnd: s.current_period_end,
  version: s.version,
})

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
    subscription: subscriptionState(s, true),
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
  }),
  ...asFacts(streamsEvents, {
    'streams.viewer_minutes.v1': viewerChunk,
    'streams.raid_completed.v1': ({ payload: p, occurredAt }) => {
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
    },
  }),
  ...asFacts(chatEvents, { 'chat.activity.v1': chatChunk }),
  ...asFacts(usersEvents, {
    // A follow is a fact per (follower, channel, version): the users snapshot replaying it adds nothing.
    'users.followed.v1': ({ payload: p }) => [
      {
        key: `follow:${p.follower_id}:${p.followed_id}:${p.version}`,
        minutes: [{ broadcasterId: p.followed_id, minute: minuteOf(p.followed_at), add: { follows: 1 } }],
        totals: [['follows', 1]],
      },
    ],
  }),
  ...asFacts(subscriptionsEvents, {
    'subscriptions.subscription_started.v1': ({ payload }) => [paidPeriod(payload, true)],
    'subscriptions.subscription_renewed.v1': ({ payload }) => [paidPeriod(payload, false)],
    'subscriptions.subscription_tier_changed.v1': ({ payload: s }) => [
      { key: `subscription:${s.subscription_id}:${s.version}`, subscription: subscriptionState(s, true) },
    ],
    'subscriptions.subscription_ended.v1': ({ payload: s }) => [
      { key: `subscription:${s.subscription_id}:${s.version}`, subscription: subscriptionState(s, false) },
    ],
    'subscriptions.gift_sent.v1': ({ payload: g }) => {
      const minute = minuteOf(g.occurred_at)
      return [
        {
          key: `gift:${g.gift_id}`,
          minutes: [{ broadcasterId: g.broadcaster_id, minute, add: { [tierCounter('gifted_subs', g.tier)]: g.count } }],
          revenue: [{ broadcasterId: g.broadcaster_id, minute, source: 'gift', tier: g.tier, currency: g.currency, amount: g.amount }],
          totals: revenueTotal(g.currency, g.amount),
        },
      ]
    },
    'subscriptions.donation_received.v1': ({ payload: d }) => {
      const minute = minuteOf(d.occurred_at)
      return [
        {
          key: `donation:${d.donation_id}`,
          minutes: [{ broadcasterId: d.broadcaster_id, minute, add: { donations: 1 } }],
          revenue: [{ broadcasterId: d.broadcaster_id, minute, source: 'donation', tier: '', currency: d.currency, amount: d.amount }],
          totals: revenueTotal(d.currency, d.amount),
        },
      ]
    },
    'subscriptions.donation_refunded.v1': ({ payload: d }) => [
      {
        // Events from before refunds came in parts have no refund_id: each refunded its donation in full.
        key: `refund:${d.refund_id ?? d.donation_id}`,
        revenue: [{ broadcasterId: d.broadcaster_id, minute: minuteOf(d.occurred_at), source: 'refund', tier: '', currency: d.currency, amount: -d.amount }],
      },
    ],
    'subscriptions.purchase_refunded.v1': ({ payload: r }) => [
      {
        key: `refund:purchase:${r.refund_id}`,
        revenue: [{ broadcasterId: r.broadcaster_id, minute: minuteOf(r.occurred_at), source: 'refund', tier: '', currency: r.currency, amount: -r.amount }],
      },
    ],
    'subscriptions.redemption_added.v1': ({ payload: r }) => [
      {
        key: `redemption:${r.id}`,
        minutes: [{ broadcasterId: r.broadcaster_id, minute: minuteOf(r.redeemed_at), add: { redemptions: 1 } }],
        totals: [['redemptions', 1]],
      },
    ],
  }),
}
