import { and, count, desc, eq, sql } from 'drizzle-orm'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import { hasPgCode, PG } from '../../platform/db/errors.ts'
import type { Transaction } from '../../platform/events/types.ts'
import { usersError } from './errors.ts'
import { publish } from './publish.ts'
import { followers, followVersions, type UserId, users } from './schema.ts'

export type FollowRow = { userId: UserId; login: string; displayName: string; followedAt: string; cursorAt: string }

export type FollowPage = { rows: FollowRow[]; total: number }

/** Where a page of a follow list resumes: the last row's `cursorAt` and user id. */
export type FollowCursor = readonly [cursorAt: string, userId: UserId]

type Direction = 'followers' | 'following'

/**
 * Bumps the follower's version after the pair's row changed: a later change of the same pair
 * waits on that row, so it bumps after this commits and gets a higher number.
 */
async function nextVersion(tx: Transaction, followerId: UserId): Promise<number> {
  const [row] = await tx
    .insert(followVersions)
    .values({ followerId: BigInt(followerId), version: 1 })
    .onConflictDoUpdate({ target: followVersions.followerId, set: { version: sql`${followVersions.version} + 1` } })
    .returning({ version: followVersions.version })
  if (!row) throw new Error('follow version upsert returned nothing')
  return row.version
}

/** Follows between users; both lists page newest first on (followed_at, other user id). */
export function createFollows(database: ModuleDatabase) {
  const { db } = database
  async function list(direction: Direction, userId: UserId, first: number, after?: FollowCursor): Promise<FollowPage> {
    // followers of X: rows where X is followed, the other side is the follower; and vice versa.
    const self = direction === 'followers' ? followers.followedId : followers.followerId
    const other = direction === 'followers' ? followers.followerId : followers.followedId
    const [rows, [total]] = await Promise.all([
      db
        .select({
          userId: sql<UserId>`${users.id}::text`,
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
            eq(self, BigInt(userId)),
            after ? sql`(${followers.followedAt}, ${other}) < (${after[0]}::timestamptz, ${after[1]}::bigint)` : undefined,
          ),
        )
        .orderBy(desc(followers.followedAt), desc(other))
        .limit(first + 1),
      db.select({ total: count() }).from(followers).where(eq(self, BigInt(userId))),
    ])
    return { rows, total: total?.total ?? 0 }
  }

  const followOnce = (followerId: UserId, followedId: UserId): Promise<boolean> =>
    database.transaction(async (tx) => {
      const [inserted] = await tx
        .insert(followers)
        .values({ followerId: BigInt(followerId), followedId: BigInt(followedId) })
        .onConflictDoNothing()
        .returning({ followedAt: followers.followedAt })
      if (!inserted) return false
      await publish(tx, 'users.followed.v1', {
        follower_id: followerId,
        followed_id: followedId,
        followed_at: inserted.followedAt.toISOString(),
        version: await nextVersion(tx, followerId),
      })
      return true
    })

  return {
    /**
     * True when the follow is new; following twice changes nothing and announces nothing.
     * `follow.self` for oneself, `user.not_found` when the followed user does not exist,
     * `account.gone` when the follower does not.
     */
    async follow(followerId: UserId, followedId: UserId): Promise<boolean> {
      if (followerId === followedId) throw usersError('follow.self', 'You cannot follow yourself')
      try {
        return await followOnce(followerId, followedId)
      } catch (error) {
        if (!hasPgCode(error, PG.foreignKeyViolation)) throw error
        // The follower's id comes from a token, which may outlive its account.
        const [follower] = await db.select({ id: users.id }).from(users).where(eq(users.id, BigInt(followerId)))
        if (!follower) throw usersError('account.gone', 'This account no longer exists')
        throw usersError('user.not_found', 'No user with this id')
      }
    },
    unfollow: (followerId: UserId, followedId: UserId): Promise<boolean> =>
      database.transaction(async (tx) => {
        const [deleted] = await tx
          .delete(followers)
          .where(and(eq(followers.followerId, BigInt(followerId)), eq(followers.followedId, BigInt(followedId))))
          .returning({ followedAt: followers.followedAt })
        if (!deleted) return false
        await publish(tx, 'users.unfollowed.v1', {
          follower_id: followerId,
          followed_id: followedId,
          version: await nextVersion(tx, followerId),
        })
        return true
      }),
    followersOf: (userId: UserId, first: number, after?: FollowCursor) => list('followers', userId, first, after),
    followedBy: (userId: UserId, first: number, after?: FollowCursor) => list('following', userId, first, after),
  }
}

export type Follows = ReturnType<typeof createFollows>
