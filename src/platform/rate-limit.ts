import type Redis from 'ioredis'
import { createMiddleware } from 'hono/factory'
import type { Context } from 'hono'
import type { Logger } from 'pino'
import { DomainError } from './errors.ts'
import type { AppEnv } from './http/env.ts'

export type RateLimitRule = { name: string; limit: number; windowSeconds: number }
export type RateLimitDecision = { allowed: boolean; retryAfterSeconds: number }

export type RateLimiter = {
  consume: (rule: RateLimitRule, key: string) => Promise<RateLimitDecision>
}

const decide = (count: number, limit: number, ttlMs: number): RateLimitDecision => ({
  allowed: count <= limit,
  retryAfterSeconds: count <= limit ? 0 : Math.max(1, Math.ceil(ttlMs / 1000)),
})

/** Fixed windows in process memory: right for a single process without Redis. */
export function createMemoryRateLimiter(now: () => number = Date.now): RateLimiter {
  const windows = new Map<string, { count: number; resetAt: number }>()
  let nextSweep = 0
  return {
    async consume(rule, key) {
      const t = now()
      if (t >= nextSweep) {
        for (const [k, w] of windows) if (w.resetAt <= t) windows.delete(k)
        nextSweep = t + 60_000
      }
      const id = `${rule.name}:${key}`
      let window = windows.get(id)
      if (!window || window.resetAt <= t) {
        window = { count: 0, resetAt: t + rule.windowSeconds * 1000 }
        windows.set(id, window)
      }
      window.count++
      return decide(window.count, rule.limit, window.resetAt - t)
    },
  }
}

// INCR and the first PEXPIRE in one round trip, atomically, so every replica shares a window.
const CONSUME_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return { count, redis.call('PTTL', KEYS[1]) }`

/**
 * Fixed windows in Redis, shared by every replica. When Redis does not answer in time the
 * limiter lets the request through (and says so in the log): a Redis outage must not take
 * logins down with it.
 */
export function createRedisRateLimiter(redis: Redis, log: Logger, timeoutMs = 250): RateLimiter {
  return {
    async consume(rule, key) {
      const call = redis.eval(CONSUME_SCRIPT, 1, `ratelimit:${rule.name}:${key}`, rule.windowSeconds * 1000) as Promise<
        [number, number]
      >
      const timeout = Bun.sleep(timeoutMs).then(() => undefined)
      try {
        const result = await Promise.race([call, timeout])
        if (result) return decide(result[0], rule.limit, result[1])
      } catch (error) {
        log.warn({ err: error, rule: rule.name }, 'rate limiter: Redis failed; allowing request')
        return { allowed: true, retryAfterSeconds: 0 }
      }
      call.catch(() => {})
      log.warn({ rule: rule.name }, 'rate limiter: Redis timed out; allowing request')
      return { allowed: true, retryAfterSeconds: 0 }
    },
  }
}

/**
 * Throws `rate_limited` once `key` has used up the rule's window: over HTTP a 429 with
 * `Retry-After`, in chat the IRC `msg_ratelimit` notice.
 */
export async function enforceRateLimit(limiter: RateLimiter, rule: RateLimitRule, key: string): Promise<void> {
  const decision = await limiter.consume(rule, key)
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
