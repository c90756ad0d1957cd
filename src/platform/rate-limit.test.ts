import { afterAll, describe, expect, test } from 'bun:test'
import Redis from 'ioredis'
import pino from 'pino'
import { PROBE_RATE_LIMIT, probeModule } from './testing/fixtures/probe-module.ts'
import { createTestPlatform, testRedisUrl, type TestPlatform } from './testing/harness.ts'
import { createMemoryRateLimiter, createRedisRateLimiter, limitedScript, type RateLimiter, type RateLimitRule } from './rate-limit.ts'

const silent = pino({ level: 'silent' })
const unique = (what: string) => `${what}-${crypto.randomUUID()}`

const closers: (() => unknown)[] = []
afterAll(async () => {
  for (const close of closers.splice(0)) await close()
})

/** A client of a port nothing listens on any more: every command fails. */
function unansweringRedis(): Redis {
  const listener = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = listener.port
  listener.stop(true)
  const redis = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1, lazyConnect: true })
  redis.on('error', () => {})
  closers.push(() => redis.disconnect())
  return redis
}

/** Hits `limiter` `times` times and returns the decisions. */
async function hit(limiters: RateLimiter[], rule: RateLimitRule, key: string, times: number) {
  const decisions = []
  for (let i = 0; i < times; i++) decisions.push(await limiters[i % limiters.length]!.consume(rule, key))
  return decisions
}

describe('memory limiter', () => {
  test('the N+1th hit in a window is refused with the time left, and the next window starts afresh', async () => {
    let now = 1_000_000
    const limiter = createMemoryRateLimiter(() => now)
    const rule = { name: 'login', limit: 3, windowSeconds: 60 }
    expect((await hit([limiter], rule, 'alice', 3)).map((d) => d.allowed)).toEqual([true, true, true])
    expect(await limiter.consume(rule, 'alice')).toEqual({ allowed: false, retryAfterSeconds: 60 })
    now += 59_500
    expect(await limiter.consume(rule, 'alice')).toEqual({ allowed: false, retryAfterSeconds: 1 })
    // Other keys and other rules have windows of their own.
    expect((await limiter.consume(rule, 'bob')).allowed).toBe(true)
    expect((await limiter.consume({ ...rule, name: 'register' }, 'alice')).allowed).toBe(true)
    now += 500
    expect(await limiter.consume(rule, 'alice')).toEqual({ allowed: true, retryAfterSeconds: 0 })
  })
})

describe('Redis limiter', () => {
  const url = testRedisUrl('Redis rate limiter')

  test.skipIf(!url)('two limiter instances on separate connections share one window', async () => {
    const [a, b] = [new Redis(url!), new Redis(url!)]
    closers.push(() => a.disconnect(), () => b.disconnect())
    const limiters = [createRedisRateLimiter(a, silent), createRedisRateLimiter(b, silent)]
    const rule = { name: unique('login'), limit: 3, windowSeconds: 60 }
    expect((await hit(limiters, rule, 'alice', 3)).map((d) => d.allowed)).toEqual([true, true, true])
    for (const limiter of limiters) {
      const refused = await limiter.consume(rule, 'alice')
      expect(refused.allowed).toBe(false)
      expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(59)
      expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60)
    }
    expect((await limiters[1]!.consume(rule, 'bob')).allowed).toBe(true)
    // The window expires on its own: nothing is left behind in Redis.
    const ttl = await a.pttl(`ratelimit:${rule.name}:alice`)
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(60_000)
  })

  test.skipIf(!url)('a new window starts when the old one expires', async () => {
    const redis = new Redis(url!)
    closers.push(() => redis.disconnect())
    const limiter = createRedisRateLimiter(redis, silent)
    const rule = { name: unique('short'), limit: 1, windowSeconds: 1 }
    expect((await hit([limiter], rule, 'k', 2)).map((d) => d.allowed)).toEqual([true, false])
    await Bun.sleep(1100)
    expect((await limiter.consume(rule, 'k')).allowed).toBe(true)
  })

  test('when Redis does not answer, each process limits on its own counts, and says so once per outage', async () => {
    const redis = unansweringRedis()
    const lines: { msg: string }[] = []
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) })
    const limiter = createRedisRateLimiter(redis, log, { timeoutMs: 100, retryMs: 50 })
    const rule = { name: 'down', limit: 2, windowSeconds: 60 }
    const decisions = []
    for (let i = 0; i < 6; i++) {
      decisions.push((await limiter.consume(rule, 'k')).allowed)
      await Bun.sleep(60) // past retryMs: Redis is asked (and fails) again each time
    }
    expect(decisions).toEqual([true, true, false, false, false, false])
    expect(lines.filter((l) => l.msg.startsWith('rate limiter:'))).toHaveLength(1)
    // consumeEach and release fall back alike.
    expect((await limiter.consumeEach(rule, ['p', 'q'])).map((d) => d.allowed)).toEqual([true, true])
    expect((await limiter.consumeEach(rule, ['p', 'p'])).map((d) => d.allowed)).toEqual([true, false])
    await limiter.release(rule, ['p'])
    expect((await limiter.consumeEach(rule, ['p'])).map((d) => d.allowed)).toEqual([false])
  })
})

describe('consumeEach and release', () => {
  const check = async (limiter: RateLimiter, rule: RateLimitRule) => {
    expect((await limiter.consumeEach(rule, ['a', 'b'])).map((d) => d.allowed)).toEqual([true, true])
    // A released hit is given back: the next one fits again, and only one does.
    await limiter.release(rule, ['a'])
    expect((await limiter.consumeEach(rule, ['a', 'b'])).map((d) => d.allowed)).toEqual([true, false])
    const [refused] = await limiter.consumeEach(rule, ['a'])
    expect(refused!.allowed).toBe(false)
    expect(refused!.retryAfterSeconds).toBeGreaterThanOrEqual(59)
    // Never below nothing: a key with no hits releases nothing.
    await limiter.release(rule, ['c', 'c'])
    expect((await limiter.consumeEach(rule, ['c', 'c'])).map((d) => d.allowed)).toEqual([true, false])
  }
  test('in memory: hits taken on several keys at once, and given back', () =>
    check(createMemoryRateLimiter(), { name: 'failures', limit: 1, windowSeconds: 60 }))

  const url = testRedisUrl('Redis consumeEach and release')
  test.skipIf(!url)('in Redis: the same, shared by limiter instances, and windows still expire', async () => {
    const [a, b] = [new Redis(url!), new Redis(url!)]
    closers.push(() => a.disconnect(), () => b.disconnect())
    const rule = { name: unique('failures'), limit: 1, windowSeconds: 60 }
    await check(createRedisRateLimiter(a, silent), rule)
    expect((await createRedisRateLimiter(b, silent).consume(rule, 'a')).allowed).toBe(false)
    for (const key of ['a', 'b', 'c']) expect(await a.pttl(`ratelimit:${rule.name}:${key}`)).toBeGreaterThan(0)
  })
})

describe('consumeThen', () => {
  // Appends ARGV[1] to the list KEYS[1]: what ran, and how often.
  const APPEND = limitedScript("redis.call('RPUSH', KEYS[1], ARGV[1])")
  const url = testRedisUrl('Redis consumeThen')

  test.skipIf(!url)('in memory: the script runs on the caller’s Redis for allowed hits only', async () => {
    const redis = new Redis(url!)
    closers.push(() => redis.disconnect())
    const limiter = createMemoryRateLimiter()
    const rule = { name: 'beats', limit: 2, windowSeconds: 60 }
    const list = unique('test:ran')
    const decisions = []
    for (let i = 0; i < 3; i++) decisions.push(await limiter.consumeThen(rule, 'k', { redis, script: APPEND, keys: [list], args: [i] }))
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, false])
    expect(decisions[2]!.retryAfterSeconds).toBeGreaterThanOrEqual(59)
    expect(await redis.lrange(list, 0, -1)).toEqual(['0', '1'])
    await redis.del(list)
  })

  test.skipIf(!url)('in Redis: hit and script in one script, one window with consume across instances, nothing run when refused', async () => {
    const [a, b] = [new Redis(url!), new Redis(url!)]
    closers.push(() => a.disconnect(), () => b.disconnect())
    const [first, second] = [createRedisRateLimiter(a, silent), createRedisRateLimiter(b, silent)]
    const rule = { name: unique('beats'), limit: 3, windowSeconds: 60 }
    const list = unique('test:ran')
    const call = (redis: Redis, i: number) => ({ redis, script: APPEND, keys: [list], args: [i] })
    expect((await first.consumeThen(rule, 'k', call(a, 0))).allowed).toBe(true)
    expect((await second.consume(rule, 'k')).allowed).toBe(true)
    expect((await second.consumeThen(rule, 'k', call(b, 2))).allowed).toBe(true)
    const refused = await first.consumeThen(rule, 'k', call(a, 3))
    expect(refused.allowed).toBe(false)
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(59)
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60)
    expect((await second.consume(rule, 'k')).allowed).toBe(false)
    expect(await a.lrange(list, 0, -1)).toEqual(['0', '2'])
    // The window expires on its own, as consume's does; another key has its own.
    expect(await a.pttl(`ratelimit:${rule.name}:k`)).toBeGreaterThan(0)
    expect((await second.consumeThen(rule, 'other', call(b, 4))).allowed).toBe(true)
    await a.del(list)
  })

  test.skipIf(!url)('in Redis: calls made together share one script, each hit decided on its own key, in order', async () => {
    const redis = new Redis(url!)
    closers.push(() => redis.disconnect())
    const limiter = createRedisRateLimiter(redis, silent)
    const rule = { name: unique('beats'), limit: 4, windowSeconds: 60 }
    const list = unique('test:ran')
    const decisions = await Promise.all(
      Array.from({ length: 10 }, (_, i) => limiter.consumeThen(rule, i % 5 === 4 ? 'other' : 'k', { redis, script: APPEND, keys: [list], args: [i] })),
    )
    // 'k' gets calls 0-3, 5-8 (four allowed), 'other' calls 4 and 9 (both allowed).
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false, false, false, false, true])
    expect(await redis.lrange(list, 0, -1)).toEqual(['0', '1', '2', '3', '4', '9'])
    await redis.del(list)
  })

  test.skipIf(!url)('a Redis that lost its scripts (SCRIPT FLUSH) is sent the text again', async () => {
    const redis = new Redis(url!)
    closers.push(() => redis.disconnect())
    const limiter = createRedisRateLimiter(redis, silent)
    const rule = { name: unique('beats'), limit: 5, windowSeconds: 60 }
    const list = unique('test:ran')
    await limiter.consumeThen(rule, 'k', { redis, script: APPEND, keys: [list], args: ['before'] })
    await redis.script('FLUSH')
    expect((await limiter.consumeThen(rule, 'k', { redis, script: APPEND, keys: [list], args: ['after'] })).allowed).toBe(true)
    expect(await redis.lrange(list, 0, -1)).toEqual(['before', 'after'])
    await redis.del(list)
  })

  test('when Redis does not answer, the call fails: there is nothing to admit it to', async () => {
    const redis = unansweringRedis()
    const limiter = createRedisRateLimiter(redis, silent, { timeoutMs: 100, retryMs: 50 })
    const rule = { name: 'down', limit: 2, windowSeconds: 60 }
    await expect(limiter.consumeThen(rule, 'k', { redis, script: APPEND, keys: ['test:ran'], args: [1] })).rejects.toThrow()
  })
})

describe('rateLimit middleware', () => {
  const limited = (t: TestPlatform, client: string) => t.request('/api/users/-/limited', { headers: { 'x-client': client } })

  async function expectRefused(res: Response): Promise<void> {
    expect(res.status).toBe(429)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    const retryAfter = Number(res.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    expect(retryAfter).toBeLessThanOrEqual(60)
    expect(((await res.json()) as { status: number }).status).toBe(429)
  }

  test('in memory: a 429 with Retry-After once the window is used up', async () => {
    const t = await createTestPlatform([probeModule])
    closers.push(() => t.close())
    const client = unique('client')
    for (let i = 0; i < PROBE_RATE_LIMIT; i++) expect((await limited(t, client)).status).toBe(200)
    await expectRefused(await limited(t, client))
    expect((await limited(t, unique('other'))).status).toBe(200)
  })

  const url = testRedisUrl('rate limit shared by two replicas')
  test.skipIf(!url)('with Redis: two replicas share the window', async () => {
    const replicas = await Promise.all([0, 1].map(() => createTestPlatform([probeModule], { REDIS_URL: url })))
    closers.push(...replicas.map((t) => () => t.close()))
    const client = unique('client')
    for (let i = 0; i < PROBE_RATE_LIMIT; i++) expect((await limited(replicas[i % 2]!, client)).status).toBe(200)
    for (const t of replicas) await expectRefused(await limited(t, client))
  })
})
