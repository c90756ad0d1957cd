import { randomBytes } from 'node:crypto'
import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm'
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import type { Sql } from 'postgres'
import { refreshTokens, sessions } from './schema.ts'

const hashToken = (token: string) => Bun.SHA256.hash(token, 'hex')
// The prefix makes leaked tokens easy to recognise in logs and secret scanners.
const newRefreshToken = () => `ort_${randomBytes(32).toString('base64url')}`

export type SessionOrigin = { userAgent: string; ip: string | null }

export type Rotation =
  | { outcome: 'rotated'; sessionId: string; userId: number; refreshToken: string }
  | { outcome: 'reused'; sessionId: string }
  | { outcome: 'invalid' }

export type SessionView = {
  id: string
  created_at: string
  last_used_at: string
  expires_at: string
  user_agent: string
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
    async open(userId: number, origin: SessionOrigin): Promise<{ sessionId: string; refreshToken: string }> {
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

    /** Exchanges a refresh token for a new one, in one transaction that concurrent exchanges cannot both win. */
    rotate(token: string): Promise<Rotation> {
      const tokenHash = hashToken(token)
      return db.transaction(async (tx) => {
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
        return { outcome: 'rotated', sessionId: session.id, userId: session.userId, refreshToken }
      })
    },

    /** Revokes one of `userId`'s sessions; false when it is not theirs or already ended. */
    async revoke(userId: number, sessionId: string): Promise<boolean> {
      const revoked = await db
        .update(sessions)
        .set({ revokedAt: sql`now()` })
        .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), isNull(sessions.revokedAt)))
        .returning({ id: sessions.id })
      return revoked.length > 0
    },

    async listActive(userId: number): Promise<SessionView[]> {
      const rows = await db
        .select()
        .from(sessions)
        .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, sql`now()`)))
        .orderBy(desc(sessions.createdAt))
        .limit(100)
      return rows.map((row) => ({
        id: row.id,
        created_at: row.createdAt.toISOString(),
        last_used_at: row.lastUsedAt.toISOString(),
        expires_at: row.expiresAt.toISOString(),
        user_agent: row.userAgent,
        ip: row.ip,
      }))
    },
  }
}

export type Sessions = ReturnType<typeof createSessions>
