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

/**
 * Credits many entries in one round trip each for the ledger and the balances; an entry whose
 * cause the ledger already holds credits nothing. Balances are locked in (channel, user)
 * order, so concurrent batches never deadlock.
 */
async function creditMany(tx: Transaction, credits: Credit[]): Promise<void> {
  if (credits.length === 0) return
  const sorted = [...credits].sort((a, b) =>
    a.broadcasterId === b.broadcasterId ? (BigInt(a.userId) < BigInt(b.userId) ? -1 : 1) : BigInt(a.broadcasterId) < BigInt(b.broadcasterId) ? -1 : 1,
  )
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

/** A minute for each viewer of the event; those reaching a multiple of 5 earn points for those 5. */
async function countMinutes(tx: Transaction, event: StreamsEvent<'streams.viewer_minutes.v1'>): Promise<Credit[]> {
  // A viewer twice in one event is one minute; sorted, so batches lock rows in one order.
  const viewers = [...new Set(event.user_ids)].filter((id) => id !== event.broadcaster_id).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))
  if (viewers.length === 0) return []
  const reached = await tx.sql<{ user_id: string; minutes: string }[]>`
    insert into watch_minutes (broadcaster_id, user_id, minutes)
    select ${event.broadcaster_id}, unnest(${viewers}::bigint[]), 1
    on conflict (broadcaster_id, user_id) do update set minutes = watch_minutes.minutes + 1
    returning user_id::text, minutes::text`
  const earners = reached.filter((row) => Number(row.minutes) % 5 === 0)
  if (earners.length === 0) return []
  // The tier a viewer subscribes at when their block completes multiplies its points.
  const tiers = new Map(
    (
      await tx.sql<{ user_id: string; tier: keyof typeof SUBSCRIBER_MULTIPLIERS }[]>`
        select user_id::text, tier from subscriptions
        where broadcaster_id = ${event.broadcaster_id} and status = 'active' and user_id = any(${earners.map((row) => row.user_id)}::bigint[])`
    ).map((row) => [row.user_id, row.tier]),
  )
  return earners.map((row) => {
    const tier = tiers.get(row.user_id)
    return {
      broadcasterId: event.broadcaster_id,
      userId: row.user_id,
      delta: Math.round(POINTS_PER_FIVE_MINUTES * (tier ? SUBSCRIBER_MULTIPLIERS[tier] : 1)),
      reason: 'watch',
      // The 5-minute block: a cause named once per balance.
      reference: String(Number(row.minutes) / 5),
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
      handleMany: async (tx, events) => {
        const credits: Credit[] = []
        for (const { payload } of events) credits.push(...(await countMinutes(tx, payload)))
        await creditMany(tx, credits)
      },
    },
    // A new stream: the per-stream limits count from zero again.
    'streams.online.v1': async (tx, { payload }) => {
      await tx.sql`delete from reward_user_counts where reward_id in (select id from custom_rewards where broadcaster_id = ${payload.broadcaster_id})`
      await tx.sql`update custom_rewards set redemptions_redeemed_current_stream = 0 where broadcaster_id = ${payload.broadcaster_id}`
    },
  }),
}
