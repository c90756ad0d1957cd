import type { Transaction } from '../../platform/db/database.ts'

/** A follow or an unfollow as the users events tell it, with the follower's version. */
export type FollowChange = { followerId: string; followedId: string; following: boolean; version: number }

/**
 * Applies follows and unfollows to the follow projection when their version is above the one
 * held for the pair; an unfollow keeps the row so an older follow delivered late cannot revive
 * it. `distinct on` keeps a delivery's latest change per pair and sorts the rows, so replicas'
 * batches lock them in one order. (postgres.js sends a boolean array as one boolean: as text.)
 */
export async function applyFollows(tx: Transaction, changes: FollowChange[]): Promise<void> {
  if (changes.length === 0) return
  await tx.sql`
    insert into subscription_follows (broadcaster_id, user_id, following, version)
    select distinct on (broadcaster_id, user_id) broadcaster_id, user_id, following = 't', version
    from unnest(${changes.map((c) => c.followedId)}::bigint[], ${changes.map((c) => c.followerId)}::bigint[],
      ${changes.map((c) => (c.following ? 't' : 'f'))}::text[], ${changes.map((c) => c.version)}::int[]) as c(broadcaster_id, user_id, following, version)
    order by broadcaster_id, user_id, version desc
    on conflict (broadcaster_id, user_id) do update
      set following = excluded.following, version = excluded.version
      where subscription_follows.version < excluded.version`
}
