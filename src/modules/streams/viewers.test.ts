import { afterAll, describe, expect, test } from 'bun:test'
import Redis from 'ioredis'
import { testRedisUrl } from '../../platform/testing/harness.ts'
import { createRedisViewers, minuteOf, VIEWER_WINDOW_MS } from './viewers.ts'

const url = testRedisUrl('streams viewers in Redis')

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
    const now = Date.now()
    await viewers.beat('7', 'session-a', undefined, now)
    await viewers.beat('7', 'session-a', undefined, now + 10)
    await viewers.beat('7', 'session-b', '42', now + 20)
    await viewers.beat('8', 'session-c', undefined, now - VIEWER_WINDOW_MS - 1)

    expect(Object.fromEntries(await viewers.counts(['7', '8', '9'], now + 30))).toEqual({ '7': 2 })
    expect(await viewers.minute('7', minuteOf(now + 20))).toEqual({ userIds: ['42'], anonymous: minuteOf(now) === minuteOf(now + 20) ? 1 : 0 })

    const keys = await redis.keys(`${prefix}:*`)
    expect(keys.length).toBeGreaterThanOrEqual(3)
    for (const key of keys) expect(await redis.pttl(key)).toBeGreaterThan(0)
  })
})
