import type Redis from 'ioredis'
import { limitedScript, type RateLimitDecision, type RateLimiter, type RateLimitRule } from '../../platform/rate-limit.ts'

/** Who watched one stream during one minute: signed-in users by id, and how many watched anonymously. */
export type MinuteOfViewers = { userIds: string[]; anonymous: number }

/** A viewer seen within this long counts as watching. */
export const VIEWER_WINDOW_MS = 60_000
const MINUTE_MS = 60_000
/** A minute's viewers are kept this long for the viewer-minutes job, then dropped. */
const MINUTE_RETENTION_MS = 10 * MINUTE_MS

export const minuteOf = (ms: number): number => Math.floor(ms / MINUTE_MS) * MINUTE_MS

/** The rate limit a heartbeat is counted against: `rule`'s window of `key` (the client's address). */
export type BeatLimit = { limiter: RateLimiter; rule: RateLimitRule; key: string }

/**
 * Heartbeats of viewers, shared across replicas through Redis when configured (in-process
 * otherwise): `viewer_count` is the distinct viewer sessions of the last 60 s, and each minute
 * keeps who watched it for the viewer-minutes events.
 */
export type Viewers = {
  /**
   * One heartbeat of `sessionId` (of `userId` when signed in) on stream `streamId`, at `now`,
   * counted only when `limit` admits one more hit (one Redis round trip for both); the limit's decision.
   */
  limitedBeat: (limit: BeatLimit, streamId: string, sessionId: string, userId: string | undefined, now?: number) => Promise<RateLimitDecision>
  /** Viewer sessions seen within the window before `now`, per stream (absent ones: 0). */
  counts: (streamIds: string[], now?: number) => Promise<Map<string, number>>
  /** Who watched `streamId` in the minute starting at `minute` (ms); kept 10 minutes, then forgotten. */
  minute: (streamId: string, minute: number) => Promise<MinuteOfViewers>
}

/**
 * In-process viewers, for one process without Redis.
 * @example
 * const viewers = createMemoryViewers()
 * const limit = { limiter: createMemoryRateLimiter(), rule: { name: 'beats', limit: 10, windowSeconds: 60 }, key: '192.0.2.1' }
 * await viewers.limitedBeat(limit, '7', crypto.randomUUID(), undefined)
 * (await viewers.counts(['7'])).get('7') // 1
 */
export function createMemoryViewers(): Viewers {
  const seen = new Map<string, Map<string, number>>()
  const minutes = new Map<string, { users: Set<string>; anonymous: Set<string> }>()
  const beat = (streamId: string, sessionId: string, userId: string | undefined, now = Date.now()) => {
    let sessions = seen.get(streamId)
    if (!sessions) seen.set(streamId, (sessions = new Map()))
    sessions.set(sessionId, now)
    const key = `${streamId}:${minuteOf(now)}`
    let minute = minutes.get(key)
    if (!minute) minutes.set(key, (minute = { users: new Set(), anonymous: new Set() }))
    if (userId) minute.users.add(userId)
    else minute.anonymous.add(sessionId)
  }
  return {
    limitedBeat: async ({ limiter, rule, key }, streamId, sessionId, userId, now) => {
      const decision = await limiter.consume(rule, key)
      if (decision.allowed) beat(streamId, sessionId, userId, now)
      return decision
    },
    counts: async (streamIds, now = Date.now()) => {
      const counts = new Map<string, number>()
      for (const streamId of streamIds) {
        const sessions = seen.get(streamId)
        if (!sessions) continue
        for (const [session, at] of sessions) if (at <= now - VIEWER_WINDOW_MS) sessions.delete(session)
        if (sessions.size === 0) seen.delete(streamId)
        else counts.set(streamId, sessions.size)
      }
      for (const key of minutes.keys()) if (Number(key.split(':')[1]) < now - MINUTE_RETENTION_MS) minutes.delete(key)
      return counts
    },
    minute: async (streamId, minute) => {
      const watched = minutes.get(`${streamId}:${minute}`)
      return { userIds: [...(watched?.users ?? [])], anonymous: watched?.anonymous.size ?? 0 }
    },
  }
}

/**
 * A heartbeat's four writes in one command: as atomic as the MULTI it replaces, at a quarter of
 * its client CPU (ioredis queues and parses a reply per command of a MULTI; bench/heartbeats.ts),
 * and behind the rate limit's hit in the same script (`limitedBeat`). ARGV: the beat's time, the
 * session, and the user for a signed-in viewer (the session is the minute's member otherwise);
 * the expiries are constants in the text, as ioredis encodes every argument of every beat.
 */
const BEAT_SCRIPT = limitedScript(`
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ${VIEWER_WINDOW_MS * 2})
redis.call('SADD', KEYS[2], ARGV[3] or ARGV[2])
redis.call('PEXPIRE', KEYS[2], ${MINUTE_RETENTION_MS})`)

/**
 * Viewers in Redis under `prefix`: a sorted set of sessions by last beat per stream, and a set
 * of users and of anonymous sessions per stream and minute, expiring by themselves.
 * @example
 * const viewers = createRedisViewers(redis, 'ondes:streams')
 */
export function createRedisViewers(redis: Redis, prefix: string): Viewers {
  const sessionsKey = (streamId: string) => `${prefix}:viewers:${streamId}`
  const minuteKey = (streamId: string, minute: number, kind: 'users' | 'anonymous') => `${prefix}:minute:${streamId}:${minute}:${kind}`
  /** BEAT_SCRIPT's keys and arguments for one heartbeat. */
  const beatOf = (streamId: string, sessionId: string, userId: string | undefined, now: number) => ({
    keys: [sessionsKey(streamId), minuteKey(streamId, minuteOf(now), userId ? 'users' : 'anonymous')],
    args: userId ? [now, sessionId, userId] : [now, sessionId],
  })
  return {
    limitedBeat: ({ limiter, rule, key }, streamId, sessionId, userId, now = Date.now()) =>
      limiter.consumeThen(rule, key, { redis, script: BEAT_SCRIPT, ...beatOf(streamId, sessionId, userId, now) }),
    counts: async (streamIds, now = Date.now()) => {
      if (streamIds.length === 0) return new Map()
      const pipeline = redis.pipeline()
      for (const streamId of streamIds) {
        pipeline.zremrangebyscore(sessionsKey(streamId), '-inf', now - VIEWER_WINDOW_MS)
        pipeline.zcard(sessionsKey(streamId))
      }
      const results = (await pipeline.exec()) ?? []
      const counts = new Map<string, number>()
      streamIds.forEach((streamId, i) => {
        const [error, count] = results[i * 2 + 1] ?? []
        if (error) throw error
        if (Number(count) > 0) counts.set(streamId, Number(count))
      })
      return counts
    },
    minute: async (streamId, minute) => {
      const [userIds, anonymous] = await Promise.all([
        redis.smembers(minuteKey(streamId, minute, 'users')),
        redis.scard(minuteKey(streamId, minute, 'anonymous')),
      ])
      return { userIds, anonymous }
    },
  }
}
