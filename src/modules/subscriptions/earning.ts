import { streamsEvents, type StreamsEvent } from '../../contracts/streams.ts'
import { usersEvents } from '../../contracts/users.ts'
import type { Transaction } from '../../platform/db/database.ts'
import { consume } from '../../platform/events/consume.ts'
import { applyFollows } from './follows.ts'

/** Twitch's rates: a one-time bonus for following a channel, and points per 5 minutes watched live. */
export const FOLLOW_BONUS_POINTS = 300
export const POINTS_PER_FIVE_MINUTES = 10
/** Twitch's multipliers of watch points for a tier 1, 2 or 3 subscriber of the channel. */
export const SUBSCRIBER_MULTIPLIERS = { '1000': 1.2, '2000': 1.4, '3000': 2 } as const

type Credit = { broadcasterId: string; userId: string; delta: number; reason: string; reference: string }
type Balance = { broadcasterId: string; userId: string }

/** (channel, user) order: every batch locks balances and watch minutes in it, so concurrent batches never deadlock. */
const byBalance = (a: Balance, b: Balance) =>
  a.broadcasterId === b.broadcasterId ? (BigInt(a.userId) < BigInt(b.userId) ? -1 : 1) : BigInt(a.broadcasterId) < BigInt(b.broadcasterId) ? -1 : 1
const balanceKey = (broadcasterId: string, userId: string) => `${BigInt(broadcasterId)}:${BigInt(userId)}`

/**
 * Credits many entries in one round trip each for the ledger and the balances; an entry whose
 * cause the ledger already holds credits nothing. Balances are locked in (channel, user)
 * order, so concurrent batches never deadlock.
 */
async function creditMany(tx: Transaction, credits: Credit[]): Promise<void> {
  if (credits.length === 0) return
  const sorted = [...credits].sort(byBalance)
  await tx.sql`
    with entries as (
      select * from unnest(${sorted.map((c) => c.broadcasterId)}::bigint[], ${sorted.map((c) => c.userId)}::bigint[],
        ${sorted.map((c) => c.delta)}::bigint[], ${sorted.map((c) => c.reason)}::text[], ${sorted.map((c) => c.reference)}::text[])
        with ordinality as e(broadcaster_id, user_id, delta, reason, reference, n)
    ), written as (
      insert into channel_points_ledger (broadcaster_id, user_id, delta, reason, reference)
      select broadcaster_id, user_id, delta, reason, reference from entries order by n
      on conflict do nothing returning broadcaster_id, user_id, delta
    )
    insert into channel_points (broadcaster_id, user_id, balance)
    select broadcaster_id, user_id, sum(delta) from written group by 1, 2 order by 1, 2
    on conflict (broadcaster_id, user_id) do update set balance = channel_points.balance + excluded.balance`
}

/**
 * A minute for each viewer of each event of the batch, in one statement for all of them (one
 * per event had made a batch of 100 events 100 round trips: bench/points-accrual.ts); every
 * block of 5 minutes a viewer completes earns points, multiplied by the tier they subscribe at.
 */
async function countMinutes(tx: Transaction, events: StreamsEvent<'streams.viewer_minutes.v1'>[]): Promise<Credit[]> {
  const watched = new Map<string, Balance & { minutes: number }>()
  for (const event of events) {
    // A viewer twice in one event is one minute; the broadcaster earns nothing in their own channel.
    for (const userId of new Set(event.user_ids)) {
      if (userId === event.broadcaster_id) continue
      const key = balanceKey(event.broadcaster_id, userId)
      const seen = watched.get(key)
      if (seen) seen.minutes++
      else watched.set(key, { broadcasterId: event.broadcaster_id, userId, minutes: 1 })
    }
  }
  if (watched.size === 0) return []
  const rows = [...watched.values()].sort(byBalance)
  const reached = await tx.sql<{ broadcaster_id: string; user_id: string; minutes: string }[]>`
    insert into watch_minutes (broadcaster_id, user_id, minutes)
    select * from unnest(${rows.map((r) => r.broadcasterId)}::bigint[], ${rows.map((r) => r.userId)}::bigint[], ${rows.map((r) => r.minutes)}::bigint[])
    on conflict (broadcaster_id, user_id) do update set minutes = watch_minutes.minutes + excluded.minutes
    returning broadcaster_id::text, user_id::text, minutes::text`
  const blocks = reached.flatMap((row) => {
    const total = Number(row.minutes)
    const before = total - watched.get(balanceKey(row.broadcaster_id, row.user_id))!.minutes
    const first = Math.floor(before / 5) + 1
    return Array.from({ length: Math.floor(total / 5) - first + 1 }, (_, i) => ({ broadcasterId: row.broadcaster_id, userId: row.user_id, block: first + i }))
  })
  if (blocks.length === 0) return []
  // The tier a viewer subscribes at when their block completes multiplies its points.
  const tiers = new Map(
    (
      await tx.sql<{ broadcaster_id: string; user_id: string; tier: keyof typeof SUBSCRIBER_MULTIPLIERS }[]>`
        select s.broadcaster_id::text, s.user_id::text, s.tier from subscriptions s
        join unnest(${blocks.map((b) => b.broadcasterId)}::bigint[], ${blocks.map((b) => b.userId)}::bigint[]) as e(broadcaster_id, user_id)
          on s.broadcaster_id = e.broadcaster_id and s.user_id = e.user_id
        where s.status = 'active'`
    ).map((row) => [balanceKey(row.broadcaster_id, row.user_id), row.tier]),
  )
  return blocks.map(({ broadcasterId, userId, block }) => {
    const tier = tiers.get(balanceKey(broadcasterId, userId))
    return {
      broadcasterId,
      userId,
      delta: Math.round(POINTS_PER_FIVE_MINUTES * (tier ? SUBSCRIBER_MULTIPLIERS[tier] : 1)),
      reason: 'watch',
      // The 5-minute block: a cause named once per balance.
      reference: String(block),
    }
  })
}

/**
 * Points earned from other modules' events, exactly once each: the inbox drops a redelivered
 * event, and the ledger names each cause once (a follow's bonus is once per channel and viewer,
 * whatever unfollows and refollows come after). A follow from the users snapshot, when this
 * module joins late, earns its bonus like a live one. Follows and unfollows also keep the
 * follow projection community gifts pick their recipients from.
 */
export const earning = {
  ...consume(usersEvents, {
    'users.followed.v1': {
      handleMany: async (tx, events) => {
        // The follow projection too: community gifts go to the channel's followers.
        await applyFollows(tx, events.map(({ payload: p }) => ({ followerId: p.follower_id, followedId: p.followed_id, following: true, version: p.version })))
        await creditMany(
          tx,
          events.map(({ payload }) => ({
            broadcasterId: payload.followed_id,
            userId: payload.follower_id,
            delta: FOLLOW_BONUS_POINTS,
            reason: 'follow',
            reference: 'once',
          })),
        )
      },
    },
    'users.unfollowed.v1': {
      handleMany: (tx, events) =>
        applyFollows(tx, events.map(({ payload: p }) => ({ followerId: p.follower_id, followedId: p.followed_id, following: false, version: p.version }))),
    },
  }),
  ...consume(streamsEvents, {
    'streams.viewer_minutes.v1': {
      handleMany: async (tx, events) => creditMany(tx, await countMinutes(tx, events.map(({ payload }) => payload))),
    },
    // A new stream: the per-stream limits count from zero again. The rewards are locked first, in
    // id order, then their per-viewer counts: the order a redemption takes them in (redemptions.ts).
    // Counts first deadlocked with redemptions (40P01: test/subscriptions/earning-resets.test.ts).
    'streams.online.v1': async (tx, { payload }) => {
      await tx.sql`
        with rewards as (select id from custom_rewards where broadcaster_id = ${payload.broadcaster_id} order by id for update)
        update custom_rewards set redemptions_redeemed_current_stream = 0 from rewards where custom_rewards.id = rewards.id`
      await tx.sql`delete from reward_user_counts where reward_id in (select id from custom_rewards where broadcaster_id = ${payload.broadcaster_id})`
    },
  }),
}
