import { and, count, desc, eq, sql } from 'drizzle-orm'
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import type { Transaction } from '../../platform/events/types.ts'
import { publish } from './events.ts'
import { followers, followVersions, users } from './schema.ts'

export type FollowRow = { userId: number; login: string; displayName: string; followedAt: string; cursorAt: string }

export type FollowPage = { rows: FollowRow[]; total: number }

type Direction = 'followers' | 'following'

/**
 * Bumps the follower's version after the pair's row changed: a later change of the same pair
 * waits on that row, so it bumps after this commits and gets a higher number.
 */
async function nextVersion(tx: Transaction, followerId: number): Promise<number> {
  const [row] = await tx
    .insert(followVersions)
    .values({ followerId, version: 1 })
    .onConflictDoUpdate({ target: followVersions.followerId, set: { version: sql`${followVersions.version} + 1` } })
    .returning({ version: followVersions.version })
  if (!row) throw new Error('follow version upsert returned nothing')
  return row.version
}

/** Follows between users; both lists page newest first on (followed_at, other user id). */
export function createFollows(db: PostgresJsDatabase) {
  async function list(direction: Direction, userId: number, first: number, after?: readonly [string, number]): Promise<FollowPage> {
    // followers of X: rows where X is followed, the other side is the follower; and vice versa.
    const self = direction === 'followers' ? followers.followedId : followers.followerId
    const other = direction === 'followers' ? followers.followerId : followers.followedId
    const [rows, [total]] = await Promise.all([
      db
        .select({
          userId: users.id,
          login: users.login,
          displayName: users.displayName,
          followedAt: sql<string>`to_json(${followers.followedAt})#>>'{}'`,
          // Full microsecond precision, so a cursor never skips or repeats a row.
          cursorAt: sql<string>`${followers.followedAt}::text`,
        })
        .from(followers)
        .innerJoin(users, eq(users.id, other))
        .where(
          and(
            eq(self, userId),
            after ? sql`(${followers.followedAt}, ${other}) < (${after[0]}::timestamptz, ${after[1]})` : undefined,
          ),
        )
        .orderBy(desc(followers.followedAt), desc(other))
        .limit(first + 1),
      db.select({ total: count() }).from(followers).where(eq(self, userId)),
    ])
    return { rows, total: total?.total ?? 0 }
  }

  return {
    /** True when the follow is new; following twice changes nothing and announces nothing. */
    follow: (followerId: number, followedId: number): Promise<boolean> =>
      db.transaction(async (tx) => {
        const [inserted] = await tx
          .insert(followers)
          .values({ followerId, followedId })
          .onConflictDoNothing()
          .returning({ followedAt: followers.followedAt })
        if (!inserted) return false
        await publish(tx, 'users.followed.v1', {
          follower_id: String(followerId),
          followed_id: String(followedId),
          followed_at: inserted.followedAt.toISOString(),
          version: await nextVersion(tx, followerId),
        })
        return true
      }),
    unfollow: (followerId: number, followedId: number): Promise<boolean> =>
      db.transaction(async (tx) => {
        const [deleted] = await tx
          .delete(followers)
          .where(and(eq(followers.followerId, followerId), eq(followers.followedId, followedId)))
          .returning({ followedAt: followers.followedAt })
        if (!deleted) return false
        await publish(tx, 'users.unfollowed.v1', {
          follower_id: String(followerId),
          followed_id: String(followedId),
          version: await nextVersion(tx, followerId),
        })
        return true
      }),
    followersOf: (userId: number, first: number, after?: readonly [string, number]) => list('followers', userId, first, after),
    followedBy: (userId: number, first: number, after?: readonly [string, number]) => list('following', userId, first, after),
  }
}

export type Follows = ReturnType<typeof createFollows>
