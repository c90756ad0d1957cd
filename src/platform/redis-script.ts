import { createHash } from 'node:crypto'
import type Redis from 'ioredis'

/** A Lua script sent by its SHA-1 (EVALSHA): Redis neither receives nor hashes its text on each call. */
export type RedisScript = {
  readonly lua: string
  /** Runs the script with `keys` and `args`; its reply. */
  run: (redis: Redis, keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>
}

/**
 * A script Redis keeps after its first EVAL: later calls send only the hash, and a Redis that
 * does not have it (restarted, flushed, another server) gets the text once more (NOSCRIPT).
 *
 * @example
 * const touch = redisScript("return redis.call('PEXPIRE', KEYS[1], ARGV[1])")
 * await touch.run(redis, ['viewers:7'], [60_000])
 */
export function redisScript(lua: string): RedisScript {
  const sha = createHash('sha1').update(lua).digest('hex')
  return {
    lua,
    run: (redis, keys, args) =>
      redis.evalsha(sha, keys.length, ...keys, ...args).catch((error: unknown) => {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
        return redis.eval(lua, keys.length, ...keys, ...args)
      }),
  }
}
