import { afterAll, describe, expect, test } from 'bun:test'
import Redis from 'ioredis'
import pino from 'pino'
import { createMemoryRateLimiter, createRedisRateLimiter } from '../../platform/rate-limit.ts'
import { testRedisUrl } from '../../platform/testing/harness.ts'
import { createMemoryViewers, createRedisViewers, minuteOf, VIEWER_WINDOW_MS, type Viewers } from './viewers.ts'

const url = testRedisUrl('streams viewers in Redis')

/** Three beats against a limit of two on one address: the third refused and counted nowhere. */
async function limitedBeats(viewers: Viewers, limit: Parameters<Viewers['limitedBeat']>[0], now: number) {
  const decisions = []
  for (const session of ['session-a', 'session-b', 'session-c']) decisions.push(await viewers.limitedBeat(limit, '7', session, undefined, now))
  expect(decisions.map((d) => d.allowed)).toEqual([true, true, false])
  expect(decisions[2]!.retryAfterSeconds).toBeGreaterThanOrEqual(59)
  expect((await viewers.counts(['7'], now + 1)).get('7')).toBe(2)
  expect((await viewers.minute('7', minuteOf(now))).anonymous).toBe(2)
}

test('in memory, a beat over the limit is refused and counts no viewer', () =>
  limitedBeats(createMemoryViewers(), { limiter: createMemoryRateLimiter(), rule: { name: 'beats', limit: 2, windowSeconds: 60 }, key: '192.0.2.1' }, Date.now()))

describe.skipIf(!url)('Redis viewers', () => {
  const redis = new Redis(url ?? '', { maxRetriesPerRequest: 1 })
  const prefix = `test:streams-viewers:${crypto.randomUUID()}`
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`)
    if (keys.length > 0) await redis.del(...keys)
    redis.disconnect()
  })

  test('a beat counts its session for the window, names its viewer in the minute, and every key it writes expires', async () => {
    const viewers = createRedisViewers(redis, prefix)
    const rule = { name: `beats-${crypto.randomUUID()}`, limit: 100, windowSeconds: 60 }
    const limit = { limiter: createRedisRateLimiter(redis, pino({ level: 'silent' })), rule, key: '192.0.2.1' }
    const now = Date.now()
    const beat = async (streamId: string, sessionId: string, userId: string | undefined, at: number) =>
      expect((await viewers.limitedBeat(limit, streamId, sessionId, userId, at)).allowed).toBe(true)
    await beat('7', 'session-a', undefined, now)
    await beat('7', 'session-a', undefined, now + 10)
    await beat('7', 'session-b', '42', now + 20)
    await beat('8', 'session-c', undefined, now - VIEWER_WINDOW_MS - 1)

    expect(Object.fromEntries(await viewers.counts(['7', '8', '9'], now + 30))).toEqual({ '7': 2 })
    expect(await viewers.minute('7', minuteOf(now + 20))).toEqual({ userIds: ['42'], anonymous: minuteOf(now) === minuteOf(now + 20) ? 1 : 0 })

    const keys = await redis.keys(`${prefix}:*`)
    expect(keys.length).toBeGreaterThanOrEqual(3)
    for (const key of keys) expect(await redis.pttl(key)).toBeGreaterThan(0)
    await redis.del(`ratelimit:${rule.name}:192.0.2.1`)
  })

  test('a beat over the limit is refused in the same script and counts no viewer; two replicas share both', async () => {
    const other = new Redis(url ?? '', { maxRetriesPerRequest: 1 })
    try {
      const shared = `${prefix}:limited`
      const rule = { name: `beats-${crypto.randomUUID()}`, limit: 2, windowSeconds: 60 }
      const silent = pino({ level: 'silent' })
      const now = Date.now()
      const replicas = [
        { viewers: createRedisViewers(redis, shared), limit: { limiter: createRedisRateLimiter(redis, silent), rule, key: '192.0.2.1' } },
        { viewers: createRedisViewers(other, shared), limit: { limiter: createRedisRateLimiter(other, silent), rule, key: '192.0.2.1' } },
      ]
      const decisions = []
      for (const [i, session] of ['session-a', 'session-b', 'session-c'].entries()) {
        const { viewers, limit } = replicas[i % 2]!
        decisions.push((await viewers.limitedBeat(limit, '7', session, undefined, now)).allowed)
      }
      expect(decisions).toEqual([true, true, false])
      for (const { viewers } of replicas) {
        expect((await viewers.counts(['7'], now + 1)).get('7')).toBe(2)
        expect(await viewers.minute('7', minuteOf(now))).toEqual({ userIds: [], anonymous: 2 })
      }
      await redis.del(`ratelimit:${rule.name}:192.0.2.1`)
    } finally {
      other.disconnect()
    }
  })
})
