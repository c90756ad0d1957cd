import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createTestPlatform, testRedisUrl, type TestPlatform } from '../../platform/testing/harness.ts'
import { startPrivateRedis, type PrivateRedis } from '../../platform/testing/private-redis.ts'
import { users } from './index.ts'

// A redis-server of this test's own is frozen (SIGSTOP), never the shared one. REDIS_URL only
// says that Redis tests run here (REQUIRE_REDIS=1 makes its absence a failure).
const enabled = testRedisUrl('login limits with Redis frozen') !== undefined
const FAILURES_PER_ACCOUNT = 10

let redis: PrivateRedis
let t: TestPlatform
beforeAll(async () => {
  if (!enabled) return
  redis = await startPrivateRedis()
  t = await createTestPlatform([users], {
    REDIS_URL: redis.url,
    TRUST_PROXY: 'true',
    AUTH_FAILURES_PER_ACCOUNT: String(FAILURES_PER_ACCOUNT),
  })
})
afterAll(async () => {
  if (!enabled) return
  redis.thaw()
  await t.close()
  await redis.stop()
})

const login = (password: string, address: string) =>
  t.request('/api/auth/login', { method: 'POST', headers: { 'x-forwarded-for': address }, json: { login: 'frozen_owner', password } })

describe('with Redis frozen, login limits hold in each process', () => {
  test.skipIf(!enabled)(
    '80 wrong logins for one account, from 80 addresses: the account is refused (429) after its failures, and its owner still gets in',
    async () => {
      const registered = await t.request('/api/auth/register', {
        method: 'POST',
        headers: { 'x-forwarded-for': '192.0.2.7' },
        json: { login: 'frozen_owner', email: 'frozen@example.test', password: 'thawing slowly' },
      })
      expect(registered.status).toBe(201)
      redis.freeze()
      const statuses: number[] = []
      for (let i = 1; i <= 80; i++) statuses.push((await login('wrong guess', `198.51.100.${i}`)).status)
      expect(statuses.filter((s) => s === 401)).toHaveLength(FAILURES_PER_ACCOUNT)
      expect(statuses.filter((s) => s === 429)).toHaveLength(80 - FAILURES_PER_ACCOUNT)
      expect(statuses.slice(FAILURES_PER_ACCOUNT).every((s) => s === 429)).toBe(true)
      // The owner's address signed in before (it registered): it may still try.
      expect((await login('thawing slowly', '192.0.2.7')).status).toBe(200)
    },
    30_000,
  )
})
