/** What the analytics split tests share: their own Redis streams, and app processes stopped at the end. */
import Redis from 'ioredis'
import { startApp, type AppProcess } from '../../src/platform/testing/processes.ts'
import type { Cleanups } from '../split/ledgers.ts'

/** Deletes this run's streams (under `prefix`) at the end: the Redis is shared with other test runs. */
export function forgetStreamsAtEnd(cleanups: Cleanups, redisUrl: string, prefix: string): void {
  const redis = new Redis(redisUrl)
  cleanups.push(async () => {
    const keys = await redis.keys(`${prefix}:*`)
    if (keys.length > 0) await redis.del(...keys)
    await redis.quit()
  })
}

/** `bun src/main.ts` with `env`, ready; stopped (SIGTERM) at the end. */
export async function readyApp(cleanups: Cleanups, env: Record<string, string>): Promise<AppProcess> {
  const app = startApp(env)
  cleanups.push(async () => {
    app.child.kill('SIGTERM')
    await app.exited
  })
  await app.waitUntilReady(60_000)
  return app
}
