import { randomBytes } from 'node:crypto'
import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm'
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import type { Sql } from 'postgres'
import { usersError } from './errors.ts'
import { refreshTokens, sessions, type UserId } from './schema.ts'

const hashToken = (token: string) => Bun.SHA256.hash(token, 'hex')
// The prefix makes leaked tokens easy to recognise in logs and secret scanners.
const newRefreshToken = () => `ort_${randomBytes(32).toString('base64url')}`

export type SessionOrigin = { userAgent: string; ip: string | null }

export type Rotated = { sessionId: string; userId: UserId; refreshToken: string }

type Rotation = ({ outcome: 'rotated' } & Rotated) | { outcome: 'reused'; sessionId: string } | { outcome: 'invalid' }

export type Session = {
  id: string
  createdAt: Date
  lastUsedAt: Date
  expiresAt: Date
  userAgent: string
  ip: string | null
}

/**
 * Login sessions, each a family of opaque refresh tokens. A token is exchanged once; showing
 * one that was already exchanged means it leaked, so its whole family is revoked.
 */
export function createSessions(db: PostgresJsDatabase, client: Sql, refreshTtlSeconds: number) {
  // Expiry always from the database clock, as `open` computes it, so one clock decides.
  const renewedExpiry = sql`now() + make_interval(secs => ${refreshTtlSeconds})`

  return {
    /**
     * Opens a session with its first refresh token in one prepared statement sent by postgres.js
     * itself: logins are hash-bound, and building it through drizzle on every login was the
     * largest part of the route's own CPU.
     */
    async open(userId: UserId, origin: SessionOrigin): Promise<{ sessionId: string; refreshToken: string }> {
      const refreshToken = newRefreshToken()
      const [row] = await client<{ session_id: string }[]>`
        with opened as (
          insert into sessions (user_id, user_agent, ip, expires_at)
          values (${userId}, ${origin.userAgent.slice(0, 512)}, ${origin.ip}, now() + make_interval(secs => ${refreshTtlSeconds}))
          returning id
        )
        insert into refresh_tokens (token_hash, session_id)
        select ${hashToken(refreshToken)}, id from opened
        returning session_id`
      if (!row) throw new Error('session insert returned nothing')
      return { sessionId: row.session_id, refreshToken }
    },

    /**
     * Exchanges a refresh token for a new one, in one transaction that concurrent exchanges
     * cannot both win; `refresh.reused` (after revoking the family) or `refresh.invalid` otherwise.
     */
    async rotate(token: string): Promise<Rotated> {
      const tokenHash = hashToken(token)
      const rotation = await db.transaction(async (tx): Promise<Rotation> => {
        const [claimed] = await tx
          .update(refreshTokens)
          .set({ rotatedAt: sql`now()` })
          .where(and(eq(refreshTokens.tokenHash, tokenHash), isNull(refreshTokens.rotatedAt)))
          .returning({ sessionId: refreshTokens.sessionId })
        if (!claimed) {
          const [known] = await tx
            .select({ sessionId: refreshTokens.sessionId })
            .from(refreshTokens)
            .where(eq(refreshTokens.tokenHash, tokenHash))
          if (!known) return { outcome: 'invalid' }
          await tx
            .update(sessions)
            .set({ revokedAt: sql`now()` })
            .where(and(eq(sessions.id, known.sessionId), isNull(sessions.revokedAt)))
          return { outcome: 'reused', sessionId: known.sessionId }
        }
        const [session] = await tx
          .update(sessions)
          .set({ lastUsedAt: sql`now()`, expiresAt: renewedExpiry })
          .where(and(eq(sessions.id, claimed.sessionId), isNull(sessions.revokedAt), gt(sessions.expiresAt, sql`now()`)))
          .returning({ id: sessions.id, userId: sessions.userId })
        if (!session) return { outcome: 'invalid' }
        const refreshToken = newRefreshToken()
        await tx.insert(refreshTokens).values({ tokenHash: hashToken(refreshToken), sessionId: session.id })
        return { outcome: 'rotated', sessionId: session.id, userId: String(session.userId), refreshToken }
      })
      // Thrown after the commit, so the revocation of a reused token's family stays.
      if (rotation.outcome === 'reused') {
        throw usersError('refresh.reused', 'This refresh token was already used; the session has been revoked, sign in again')
      }
      if (rotation.outcome === 'invalid') throw usersError('refresh.invalid', 'The refresh token is not valid')
      return rotation
    },

    /** Revokes one of `userId`'s sessions; false when it is not theirs or already ended. */
    async revoke(userId: UserId, sessionId: string): Promise<boolean> {
      const revoked = await db
        .update(sessions)
        .set({ revokedAt: sql`now()` })
        .where(and(eq(sessions.id, sessionId), eq(sessions.userId, BigInt(userId)), isNull(sessions.revokedAt)))
        .returning({ id: sessions.id })
      return revoked.length > 0
    },

    listActive: (userId: UserId): Promise<Session[]> =>
      db
        .select({
          id: sessions.id,
          createdAt: sessions.createdAt,
          lastUsedAt: sessions.lastUsedAt,
          expiresAt: sessions.expiresAt,
          userAgent: sessions.userAgent,
          ip: sessions.ip,
        })
        .from(sessions)
        .where(and(eq(sessions.userId, BigInt(userId)), isNull(sessions.revokedAt), gt(sessions.expiresAt, sql`now()`)))
        .orderBy(desc(sessions.createdAt))
        .limit(100),
  }
}

export type Sessions = ReturnType<typeof createSessions>
