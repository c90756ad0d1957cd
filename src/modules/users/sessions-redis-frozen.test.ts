import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import Redis from 'ioredis'
import { revocationStoreKey } from '../../platform/auth/revocation-feed.ts'
import { problemType } from '../../platform/http/problem.ts'
import { createTestPlatform, testRedisUrl, type TestPlatform } from '../../platform/testing/harness.ts'
import { startPrivateRedis, type PrivateRedis } from '../../platform/testing/private-redis.ts'
import { users } from './index.ts'
import { registerAccount } from './test-accounts.ts'

// A redis-server of this test's own is frozen (SIGSTOP), never the shared one.
const enabled = testRedisUrl('logout with Redis frozen') !== undefined

let redis: PrivateRedis
let t: TestPlatform
beforeAll(async () => {
  if (!enabled) return
  redis = await startPrivateRedis()
  t = await createTestPlatform([users], { REDIS_URL: redis.url, AUTH_ATTEMPTS_PER_MINUTE: '1000' })
})
afterAll(async () => {
  if (!enabled) return
  redis.thaw()
  await t.close()
  await redis.stop()
})

describe.skipIf(!enabled)('logout while Redis does not answer', () => {
  test('answers within seconds, the token is refused here at once, and the revocation is stored once Redis is back', async () => {
    const account = await registerAccount(t, 'frozen_logout')
    redis.freeze()
    const started = performance.now()
    const logout = await t.request('/api/auth/logout', { method: 'POST', token: account.accessToken })
    expect(logout.status).toBe(204)
    expect(performance.now() - started).toBeLessThan(3000)
    const refused = await t.request('/api/users/me', { token: account.accessToken })
    expect({ status: refused.status, type: ((await refused.json()) as { type: string }).type }).toEqual({
      status: 401,
      type: problemType('token.revoked'),
    })

    redis.thaw()
    const client = new Redis(redis.url)
    try {
      const key = revocationStoreKey(t.platform.config.jwt.publicKey!)
      const deadline = performance.now() + 5000
      while ((await client.zcard(key)) === 0 && performance.now() < deadline) await Bun.sleep(50)
      const [stored] = await client.zrange(key, 0, -1)
      expect(JSON.parse(stored ?? '{}')).toMatchObject({ kind: 'session' })
    } finally {
      client.disconnect()
    }
  }, 20_000)
})
