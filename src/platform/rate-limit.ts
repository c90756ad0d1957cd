import type Redis from 'ioredis'
import { createMiddleware } from 'hono/factory'
import type { Context } from 'hono'
import type { Logger } from 'pino'
import { DomainError } from './errors.ts'
import type { AppEnv } from './http/env.ts'
import { redisScript, type RedisScript } from './redis-script.ts'

export type RateLimitRule = { name: string; limit: number; windowSeconds: number }
export type RateLimitDecision = { allowed: boolean; retryAfterSeconds: number }

/** A caller's Lua run behind a hit (`consumeThen`): alone, or after each hit's count in one script for several calls. */
export type LimitedScript = { alone: RedisScript; guarded: RedisScript }

/** What `consumeThen` runs for an allowed hit: `script` on `redis`, with its own KEYS and ARGV. */
export type LimitedCall = { redis: Redis; script: LimitedScript; keys: string[]; args: (string | number)[] }

/**
 * Fixed windows of hits per key. `consumeEach` counts a hit on several keys of one rule in one
 * step; `release` takes a hit back, for rules that count outcomes rather than attempts (a
 * login's failures: counted before the hash, so concurrent guesses cannot all pass, and given
 * back when it succeeds).
 */
export type RateLimiter = {
  /** Counts one hit on `key` and decides on it. */
  consume: (rule: RateLimitRule, key: string) => Promise<RateLimitDecision>
  /** Counts one hit on each key, with a decision for each. */
  consumeEach: (rule: RateLimitRule, keys: string[]) => Promise<RateLimitDecision[]>
  /** Takes back one hit from each key that still has one in its window. */
  release: (rule: RateLimitRule, keys: string[]) => Promise<void>
  /**
   * Counts one hit on `key` and, only when it is allowed, runs the call's script. A limiter in
   * Redis does both in one script: one round trip, and nothing of the caller's runs for a refused
   * hit; the calls of one script made in the same turn of the event loop share that script (one
   * command for them all). The call needs Redis anyway, so there is no per-process fallback: an
   * outage fails it.
   */
  consumeThen: (rule: RateLimitRule, key: string, call: LimitedCall) => Promise<RateLimitDecision>
}

const decide = (count: number, limit: number, ttlMs: number): RateLimitDecision => ({
  allowed: count <= limit,
  retryAfterSeconds: count <= limit ? 0 : Math.max(1, Math.ceil(ttlMs / 1000)),
})

/** Fixed windows in process memory: right for a single process without Redis. */
export function createMemoryRateLimiter(now: () => number = Date.now): RateLimiter {
  const windows = new Map<string, { count: number; resetAt: number }>()
  let nextSweep = 0
  const consumeEach = async (rule: RateLimitRule, keys: string[]) => {
    const t = now()
    if (t >= nextSweep) {
      for (const [k, w] of windows) if (w.resetAt <= t) windows.delete(k)
      nextSweep = t + 60_000
    }
    return keys.map((key) => {
      const id = `${rule.name}:${key}`
      let window = windows.get(id)
      if (!window || window.resetAt <= t) {
        window = { count: 0, resetAt: t + rule.windowSeconds * 1000 }
        windows.set(id, window)
      }
      window.count++
      return decide(window.count, rule.limit, window.resetAt - t)
    })
  }
  const consume = async (rule: RateLimitRule, key: string) => (await consumeEach(rule, [key]))[0]!
  return {
    consume,
    consumeEach,
    async consumeThen(rule, key, call) {
      const decision = await consume(rule, key)
      if (decision.allowed) await call.script.alone.run(call.redis, call.keys, call.args)
      return decision
    },
    async release(rule, keys) {
      const t = now()
      for (const key of keys) {
        const window = windows.get(`${rule.name}:${key}`)
        if (window && window.resetAt > t && window.count > 0) window.count--
      }
    },
  }
}

// INCR and the first PEXPIRE in one round trip, atomically, so every replica shares a window.
const CONSUME_SCRIPT = redisScript(`
local out = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('PEXPIRE', key, ARGV[1]) end
  out[2 * i - 1] = count
  out[2 * i] = redis.call('PTTL', key)
end
return out`)

// Only a key still in its window: a DECR of an expired one would leave -1 with no expiry.
const RELEASE_SCRIPT = redisScript(`
for i, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') > 0 then redis.call('DECR', key) end
end
return 0`)

/**
 * `lua` to run behind a hit. `guarded` runs a batch of calls: ARGV is the limit and window (ms),
 * then per call how many keys and arguments it has and its arguments; KEYS per call the hit's key
 * and its keys. Each hit is counted as CONSUME_SCRIPT does, and `lua` (which sees only its call's
 * KEYS and ARGV) runs when the count is within the limit. Its reply: per call, the count and the
 * PTTL of a refused hit (0 for an allowed one).
 *
 * @example
 * const BEAT = limitedScript("redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])")
 * await limiter.consumeThen(rule, address, { redis, script: BEAT, keys: ['viewers:7'], args: [Date.now(), session] })
 */
export function limitedScript(lua: string): LimitedScript {
  return {
    alone: redisScript(lua),
    guarded: redisScript(`
local function guarded(KEYS, ARGV)
${lua}
end
local limit, window = tonumber(ARGV[1]), ARGV[2]
local k, a, out = 1, 3, {}
while a <= #ARGV do
  local keys, args = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
  local key = KEYS[k]
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('PEXPIRE', key, window) end
  out[#out + 1] = count
  if count > limit then
    out[#out + 1] = redis.call('PTTL', key)
  else
    out[#out + 1] = 0
    guarded({unpack(KEYS, k + 1, k + keys)}, {unpack(ARGV, a + 2, a + 1 + args)})
  end
  k = k + 1 + keys
  a = a + 2 + args
end
return out`),
  }
}

/** Calls of one script and rule waiting for the end of this turn of the event loop (`consumeThen`). */
type Batch = { redis: Redis; rule: RateLimitRule; keys: string[]; args: (string | number)[]; settle: ((counts: number[] | Error) => void)[] }
/** A batch's size at most: one script holds Redis (single-threaded) for all its calls. */
const MAX_BATCH = 100

/**
 * Fixed windows in Redis, shared by every replica. Every hit is also counted in this
 * process's memory, and when Redis does not answer within `timeoutMs` (frozen, gone, failing)
 * the process decides on those counts alone for `retryMs` before asking Redis again: an outage
 * turns the limits per process, never off. Each outage is logged once, and its end.
 *
 * @example
 * const limiter = createRedisRateLimiter(redis, log)
 * await limiter.consume({ name: 'login', limit: 10, windowSeconds: 60 }, address)
 */
export function createRedisRateLimiter(redis: Redis, log: Logger, options: { timeoutMs?: number; retryMs?: number } = {}): RateLimiter {
  const { timeoutMs = 250, retryMs = 2000 } = options
  const memory = createMemoryRateLimiter()
  let downUntil = 0
  let down = false
  const redisKeys = (rule: RateLimitRule, keys: string[]) => keys.map((k) => `ratelimit:${rule.name}:${k}`)

  /** Redis's answer, or undefined (and the outage begun) when it has none in time. */
  async function ask<T>(rule: RateLimitRule, call: () => Promise<T>): Promise<T | undefined> {
    if (performance.now() < downUntil) return undefined
    const pending = call()
    try {
      const answer = await Promise.race([pending, Bun.sleep(timeoutMs).then(() => undefined)])
      if (answer !== undefined) {
        if (down) log.info({ rule: rule.name }, 'rate limiter: Redis answers again; limits are shared again')
        down = false
        return answer
      }
      pending.catch(() => {})
      if (!down) log.warn({ rule: rule.name, timeoutMs }, 'rate limiter: Redis timed out; limiting in this process alone')
    } catch (error) {
      if (!down) log.warn({ err: error, rule: rule.name }, 'rate limiter: Redis failed; limiting in this process alone')
    }
    down = true
    downUntil = performance.now() + retryMs
    return undefined
  }

  const batches = new Map<LimitedScript, Batch>()
  const send = (script: LimitedScript, batch: Batch) => {
    batches.delete(script)
    script.guarded.run(batch.redis, batch.keys, batch.args).then(
      (out) => batch.settle.forEach((settle) => settle(out as number[])),
      (error: Error) => batch.settle.forEach((settle) => settle(error)),
    )
  }

  const consumeEach = async (rule: RateLimitRule, keys: string[]) => {
    const local = await memory.consumeEach(rule, keys)
    const keysIn = redisKeys(rule, keys)
    const shared = await ask(rule, () => CONSUME_SCRIPT.run(redis, keysIn, [rule.windowSeconds * 1000]) as Promise<number[]>)
    return shared ? keys.map((_, i) => decide(shared[2 * i]!, rule.limit, shared[2 * i + 1]!)) : local
  }
  return {
    consume: async (rule, key) => (await consumeEach(rule, [key]))[0]!,
    consumeEach,
    consumeThen: (rule, key, call) =>
      new Promise((resolve, reject) => {
        let batch = batches.get(call.script)
        if (!batch || batch.redis !== call.redis || batch.rule !== rule || batch.settle.length >= MAX_BATCH) {
          if (batch) send(call.script, batch)
          const opened: Batch = { redis: call.redis, rule, keys: [], args: [rule.limit, rule.windowSeconds * 1000], settle: [] }
          batches.set(call.script, (batch = opened))
          setImmediate(() => batches.get(call.script) === opened && send(call.script, opened))
        }
        batch.keys.push(...redisKeys(rule, [key]), ...call.keys)
        batch.args.push(call.keys.length, call.args.length, ...call.args)
        const i = batch.settle.length
        batch.settle.push((out) => (out instanceof Error ? reject(out) : resolve(decide(out[2 * i]!, rule.limit, out[2 * i + 1]!))))
      }),
    async release(rule, keys) {
      await memory.release(rule, keys)
      const keysIn = redisKeys(rule, keys)
      await ask(rule, () => RELEASE_SCRIPT.run(redis, keysIn, []))
    },
  }
}

/**
 * Throws `rate_limited` once `key` has used up the rule's window: over HTTP a 429 with
 * `Retry-After`, in chat the IRC `msg_ratelimit` notice.
 */
export async function enforceRateLimit(limiter: RateLimiter, rule: RateLimitRule, key: string): Promise<void> {
  refuseUnless(await limiter.consume(rule, key))
}

/**
 * Throws `rate_limited` for a refused decision (as `enforceRateLimit` does), with its wait.
 * @example refuseUnless((await limiter.consumeEach(rule, [a, b]))[1]!)
 */
export function refuseUnless(decision: RateLimitDecision): void {
  if (!decision.allowed) {
    throw new DomainError('rate_limited', `Too many requests; try again in ${decision.retryAfterSeconds} s`, {
      retryAfterSeconds: decision.retryAfterSeconds,
    })
  }
}

/** Middleware form of `enforceRateLimit`, keyed by something the request shows (its address…). */
export const rateLimit = (limiter: RateLimiter, rule: RateLimitRule, keyOf: (c: Context<AppEnv>) => string) =>
  createMiddleware<AppEnv>(async (c, next) => {
    await enforceRateLimit(limiter, rule, keyOf(c))
    await next()
  })
