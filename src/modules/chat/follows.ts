import { usersEvents } from '../../contracts/users.ts'
import type { ModuleDatabase, Transaction } from '../../platform/db/database.ts'
import { consume } from '../../platform/events/consume.ts'
import type { EventEnvelope } from '../../platform/events/types.ts'

type FollowChange = { follower_id: string; followed_id: string; followed_at: string | null; version: number }

/**
 * The change with the highest version per pair, in (followed, follower) order: an upsert may
 * not touch a row twice, and replicas' batches lock rows in one order, so they never deadlock.
 */
function latestPerPair(changes: FollowChange[]): FollowChange[] {
  const latest = new Map<string, FollowChange>()
  for (const change of changes) {
    const key = `${change.followed_id}:${change.follower_id}`
    if ((latest.get(key)?.version ?? 0) <= change.version) latest.set(key, change)
  }
  const order = (c: FollowChange) => [BigInt(c.followed_id), BigInt(c.follower_id)] as const
  return [...latest.values()].sort((a, b) => {
    const [x, y] = [order(a), order(b)]
    return x[0] === y[0] ? (x[1] < y[1] ? -1 : 1) : x[0] < y[0] ? -1 : 1
  })
}

/**
 * Applies follows and unfollows when their version is above the one held for the pair; an
 * unfollow keeps the row (followed_at null) so an older follow delivered late cannot revive it.
 */
async function apply(tx: Transaction, changes: FollowChange[]): Promise<void> {
  const rows = latestPerPair(changes)
  await tx.sql`
    insert into chat_follows (broadcaster_id, user_id, followed_at, version)
    select * from unnest(
      ${rows.map((r) => r.followed_id)}::bigint[], ${rows.map((r) => r.follower_id)}::bigint[],
      ${rows.map((r) => r.followed_at)}::timestamptz[], ${rows.map((r) => r.version)}::int[])
    on conflict (broadcaster_id, user_id) do update
      set followed_at = excluded.followed_at, version = excluded.version
      where chat_follows.version < excluded.version`
}

const changesOf = <P extends { follower_id: string; followed_id: string; version: number }>(
  events: EventEnvelope<string, P>[],
  followedAt: (payload: P) => string | null,
): FollowChange[] =>
  events.map(({ payload }) => ({ follower_id: payload.follower_id, followed_id: payload.followed_id, followed_at: followedAt(payload), version: payload.version }))

/** The follow projection (`chat_follows`) from the users events, for followers-only mode. */
export const followProjection = consume(usersEvents, {
  'users.followed.v1': { handleMany: (tx, events) => apply(tx, changesOf(events, (p) => p.followed_at)) },
  'users.unfollowed.v1': { handleMany: (tx, events) => apply(tx, changesOf(events, () => null)) },
})

export type Follows = {
  /** When `userId` followed the channel, or undefined when they do not follow it. */
  followedAt: (broadcasterId: string, userId: string) => Promise<Date | undefined>
}

/**
 * Reads the follow projection.
 * @example
 * const follows = createFollows(database)
 * await follows.followedAt('42', '7') // 2026-12-02T06:00:00.000Z
 */
export function createFollows(database: ModuleDatabase): Follows {
  return {
    async followedAt(broadcasterId, userId) {
      const [row] = await database.sql<{ followed_at: Date | null }[]>`
        select followed_at from chat_follows where broadcaster_id = ${broadcasterId}::bigint and user_id = ${userId}::bigint`
      return row?.followed_at ?? undefined
    },
  }
}
