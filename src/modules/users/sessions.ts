import { createHmac, randomBytes } from 'node:crypto'
import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm'
import type { Role } from '../../platform/auth/tokens.ts'
import type { Clock } from '../../platform/clock.ts'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import { usersError } from './errors.ts'
import type { TokenRevocations } from './revocations.ts'
import { type IssuedClaims, sessions, type UserId } from './schema.ts'

const hashToken = (token: string) => Bun.SHA256.hash(token, 'hex')
// The prefix makes leaked tokens easy to recognise in logs and secret scanners.
const REFRESH_PREFIX = 'ort_'
const newRefreshToken = () => `${REFRESH_PREFIX}${randomBytes(32).toString('base64url')}`

export type SessionOrigin = { userAgent: string; ip: string | null }

/** A refresh's answer: the session, the next refresh token, and what its access token is minted from. */
export type Rotated = { sessionId: string; userId: UserId; refreshToken: string; claims: IssuedClaims }

type Rotation =
  | ({ outcome: 'rotated' } & Rotated)
  | { outcome: 'reused'; sessionId: string; revokedAt: number }
  | { outcome: 'invalid' | 'expired' | 'revoked' }

export type Session = {
  id: string
  createdAt: Date
  lastUsedAt: Date
  expiresAt: Date
  userAgent: string
  ip: string | null
}

export type SessionSettings = {
  /** A session nobody refreshes ends this long after its last refresh (`REFRESH_TOKEN_TTL_SECONDS`). */
  idleSeconds: number
  /** Refreshing never takes a session past this long after sign-in (`SESSION_ABSOLUTE_LIFETIME_SECONDS`). */
  absoluteSeconds: number
  /** A refresh token shown again this soon after its exchange gets the same answer (`REFRESH_RETRY_WINDOW_SECONDS`). */
  retryWindowSeconds: number
  /** The secret successors are derived with (from the signing key: nothing more to keep or leak). */
  successorKey: Buffer
}

/**
 * Login sessions, each a family of opaque refresh tokens, with an idle and an absolute
 * lifetime. A token is exchanged once: shown again within the retry window (a client that
 * never saw the answer) it gets the same answer, since its successor is derived from it (an
 * HMAC) and the successor's access-token claims are kept; shown later, or after its successor
 * was used, it leaked, so the whole family is revoked. Every ended session is announced, so
 * its access tokens stop working on every process too.
 */
export function createSessions(database: ModuleDatabase, revocations: TokenRevocations, settings: SessionSettings, clock: Clock) {
  const { db, sql: client } = database
  const successorOf = (token: string) => `${REFRESH_PREFIX}${createHmac('sha256', settings.successorKey).update(token).digest('base64url')}`
  // Expiry always from the database clock, as `open` computes it, so one clock decides.
  const absoluteEnd = sql`${sessions.createdAt} + make_interval(secs => ${settings.absoluteSeconds})`

  return {
    /**
     * Opens a session with its first refresh token, unless the account is suspended at `clock`'s
     * time (`account.suspended`), in one prepared statement sent by postgres.js
     * itself: logins are hash-bound, and building it through drizzle on every login was the
     * largest part of the route's own CPU.
     */
    async open(userId: UserId, origin: SessionOrigin): Promise<{ sessionId: string; refreshToken: string }> {
      const refreshToken = newRefreshToken()
      // The account's row is share-locked, so a suspension committing meanwhile either waits for
      // this session (and then ends it) or is seen here, re-read once its lock is released.
      const [row] = await client<{ session_id: string }[]>`
        with account as (
          select id from users
          where id = ${userId} and (suspended_at is null or suspension_ends_at <= ${clock()})
          for share
        ), opened as (
          insert into sessions (user_id, user_agent, ip, expires_at)
          select id, ${origin.userAgent.slice(0, 512)}::text, ${origin.ip}::inet, now() + make_interval(secs => ${settings.idleSeconds})
          from account
          returning id
        )
        insert into refresh_tokens (token_hash, session_id)
        select ${hashToken(refreshToken)}, id from opened
        returning session_id`
      if (!row) throw usersError('account.suspended', 'This account is suspended')
      return { sessionId: row.session_id, refreshToken }
    },

    /**
     * Exchanges a refresh token for its successor, in one transaction: the presented token's
     * row lock orders concurrent exchanges, and the ones after the first find it exchanged
     * within the window and answer the same. `session.revoked`, `session.expired`,
     * `refresh.reused` (after revoking the family) or `refresh.invalid` say why not.
     */
    async rotate(token: string): Promise<Rotated> {
      const issuedAt = Math.floor(Date.now() / 1000)
      const successor = successorOf(token)
      const rotation = await database.transaction(async (tx): Promise<Rotation> => {
        // The token's row first, then the session's: every path locks in this order.
        const [presented] = await tx.sql<{ session_id: string; rotated: boolean; retry: boolean }[]>`
          select session_id, rotated_at is not null as rotated,
                 coalesce(rotated_at > now() - make_interval(secs => ${settings.retryWindowSeconds}), false) as retry
          from refresh_tokens where token_hash = ${hashToken(token)} for update`
        if (!presented) return { outcome: 'invalid' }
        const [session] = await tx.sql<{ user_id: string; revoked: boolean; live: boolean }[]>`
          select user_id::text, revoked_at is not null as revoked,
                 expires_at > now() and created_at + make_interval(secs => ${settings.absoluteSeconds}) > now() as live
          from sessions where id = ${presented.session_id} for update`
        if (!session) return { outcome: 'invalid' }
        if (session.revoked) return { outcome: 'revoked' }
        if (!session.live) return { outcome: 'expired' }
        const sessionId = presented.session_id
        if (presented.rotated) {
          const [next] = presented.retry
            ? await tx.sql<{ access_claims: IssuedClaims | null; rotated: boolean }[]>`
                select access_claims, rotated_at is not null as rotated from refresh_tokens where token_hash = ${hashToken(successor)}`
            : []
          if (next?.access_claims && !next.rotated) {
            return { outcome: 'rotated', sessionId, userId: session.user_id, refreshToken: successor, claims: next.access_claims }
          }
          const [ended] = await tx.sql<{ revoked_at: number }[]>`
            update sessions set revoked_at = now() where id = ${sessionId}
            returning extract(epoch from revoked_at)::float8 as revoked_at`
          return { outcome: 'reused', sessionId, revokedAt: ended?.revoked_at ?? issuedAt }
        }
        const [account] = await tx.sql<{ login: string; roles_version: number; roles: Role[] }[]>`
          select login, roles_version, array(select role from user_roles where user_id = users.id order by 1) as roles
          from users where id = ${session.user_id}`
        if (!account) return { outcome: 'invalid' }
        const claims: IssuedClaims = { login: account.login, roles: account.roles, rolesVersion: account.roles_version, issuedAt }
        await tx.sql`update refresh_tokens set rotated_at = now() where token_hash = ${hashToken(token)}`
        await tx.sql`
          insert into refresh_tokens (token_hash, session_id, access_claims)
          values (${hashToken(successor)}, ${sessionId}, ${tx.sql.json(claims)})`
        await tx.sql`
          update sessions set last_used_at = now(),
            expires_at = least(now() + make_interval(secs => ${settings.idleSeconds}), created_at + make_interval(secs => ${settings.absoluteSeconds}))
          where id = ${sessionId}`
        return { outcome: 'rotated', sessionId, userId: session.user_id, refreshToken: successor, claims }
      })
      switch (rotation.outcome) {
        case 'rotated':
          return rotation
        case 'reused':
          // After the commit, so the revocation of the family stays whatever happens next.
          await revocations.sessionsEnded([{ id: rotation.sessionId, revokedAt: rotation.revokedAt }])
          throw usersError('refresh.reused', 'This refresh token was already used; the session has been revoked, sign in again')
        case 'revoked':
          throw usersError('session.revoked', 'This session was ended (signed out, revoked, or its refresh token reused); sign in again')
        case 'expired':
          throw usersError('session.expired', 'This session has expired; sign in again')
        case 'invalid':
          throw usersError('refresh.invalid', 'The refresh token is not valid')
      }
    },

    /** Revokes one of `userId`'s sessions, here and in every process's verifier; false when it is not theirs or already ended. */
    async revoke(userId: UserId, sessionId: string): Promise<boolean> {
      const [ended] = await client<{ revoked_at: number }[]>`
        update sessions set revoked_at = now()
        where id = ${sessionId} and user_id = ${userId} and revoked_at is null
        returning extract(epoch from revoked_at)::float8 as revoked_at`
      if (!ended) return false
      await revocations.sessionsEnded([{ id: sessionId, revokedAt: ended.revoked_at }])
      return true
    },

    listActive: (userId: UserId): Promise<Session[]> =>
      db
        .select({
          id: sessions.id,
          createdAt: sessions.createdAt,
          lastUsedAt: sessions.lastUsedAt,
          expiresAt: sql<Date>`least(${sessions.expiresAt}, ${absoluteEnd})`.mapWith(sessions.expiresAt),
          userAgent: sessions.userAgent,
          ip: sessions.ip,
        })
        .from(sessions)
        .where(
          and(
            eq(sessions.userId, BigInt(userId)),
            isNull(sessions.revokedAt),
            gt(sessions.expiresAt, sql`now()`),
            gt(absoluteEnd, sql`now()`),
          ),
        )
        .orderBy(desc(sessions.createdAt))
        .limit(100),
  }
}

export type Sessions = ReturnType<typeof createSessions>
