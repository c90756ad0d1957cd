/**
 * A logout while users cannot reach Redis (a relay in front of it taken down): the other
 * process never hears of it then, so users owes the revocation and announces it again once
 * Redis is back; the other process, on Redis all along, then refuses the token.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import Redis from 'ioredis'
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose'
import { revocationStoreKey } from '../../platform/auth/revocation-feed.ts'
import { probeModule } from '../../platform/testing/fixtures/probe-module.ts'
import { createTestPlatform, testRedisUrl, type TestPlatform } from '../../platform/testing/harness.ts'
import { startRedisProxy } from '../../platform/testing/redis-proxy.ts'
import { users } from './index.ts'
import { registerAccount } from './test-accounts.ts'

const redisUrl = testRedisUrl('revocations through a Redis outage')

describe.skipIf(!redisUrl)('a revocation made while Redis was away', () => {
  let proxy: Awaited<ReturnType<typeof startRedisProxy>>
  let usersPlatform: TestPlatform
  let verifier: TestPlatform
  let publicKey: string

  beforeAll(async () => {
    // A key pair of this test's own: its revocations live under their own Redis key.
    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
    publicKey = await exportSPKI(pair.publicKey)
    const keys = { JWT_PUBLIC_KEY: publicKey, JWT_PRIVATE_KEY: await exportPKCS8(pair.privateKey) }
    proxy = await startRedisProxy(redisUrl!)
    const events = { EVENTS_STREAM_PREFIX: `test:revocations-outage:${crypto.randomUUID()}` }
    usersPlatform = await createTestPlatform([users], { ...keys, ...events, REDIS_URL: proxy.url, AUTH_ATTEMPTS_PER_MINUTE: '1000' })
    verifier = await createTestPlatform([probeModule], { ...keys, ...events, REDIS_URL: redisUrl })
  })
  afterAll(async () => {
    await usersPlatform?.close()
    await verifier?.close()
    await proxy?.close()
    const redis = new Redis(redisUrl!)
    await redis.del(revocationStoreKey(publicKey))
    await redis.quit()
  })

  test('reaches the other process once Redis is back', async () => {
    const account = await registerAccount(usersPlatform, 'outage_logout')
    await usersPlatform.sql.users!`insert into user_roles (user_id, role) values (${account.id}, 'admin')`
    const refreshed = await usersPlatform.request('/api/auth/refresh', { method: 'POST', json: { refresh_token: account.refreshToken } })
    const { access_token: token } = ((await refreshed.json()) as { data: { access_token: string } }).data
    const onVerifier = () => verifier.request('/api/users/-/admin', { token })
    expect((await onVerifier()).status).toBe(200)

    await proxy.down()
    expect((await usersPlatform.request('/api/auth/logout', { method: 'POST', token })).status).toBe(204)
    expect((await usersPlatform.request('/api/users/me', { token })).status).toBe(401)
    // Lost for now: nothing reached Redis.
    await Bun.sleep(1500)
    expect((await onVerifier()).status).toBe(200)

    await proxy.up()
    const back = performance.now()
    while ((await onVerifier()).status !== 401) {
      if (performance.now() - back > 15_000) throw new Error('the revocation never reached the other process')
      await Bun.sleep(100)
    }
  }, 40_000)
})
