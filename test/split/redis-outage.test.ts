/**
 * Redis unreachable for a while (issue 3, "Proof"): the users process keeps answering what
 * does not need Redis — profiles, logins (the rate limiter lets requests through), follows,
 * registrations — while their events wait in the outbox; once Redis is back they all reach
 * the consumer, each with its effect once. Redis is cut off by a TCP relay in front of it,
 * so the shared server other test runs use is never paused.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import Redis from 'ioredis'
import { users } from '../../src/modules/users/index.ts'
import { registerAccount } from '../../src/modules/users/test-accounts.ts'
import { waitFor } from '../../src/platform/events/test-probe.ts'
import { createTestPlatform, testRedisUrl, type TestPlatform } from '../../src/platform/testing/harness.ts'
import { startRedisProxy } from '../../src/platform/testing/redis-proxy.ts'
import { followerProjection } from './follower-projection/index.ts'

const redisUrl = testRedisUrl('users through a Redis outage')

describe.skipIf(!redisUrl)('users through a Redis outage', () => {
  const prefix = `test:outage:${crypto.randomUUID()}`
  let proxy: Awaited<ReturnType<typeof startRedisProxy>>
  let producer: TestPlatform
  let consumer: TestPlatform

  beforeAll(async () => {
    proxy = await startRedisProxy(redisUrl!)
    const events = { EVENTS_STREAM_PREFIX: prefix, EVENTS_CLAIM_IDLE_MS: '500' }
    producer = await createTestPlatform([users], { ...events, REDIS_URL: proxy.url, AUTH_ATTEMPTS_PER_MINUTE: '1000' })
    consumer = await createTestPlatform([followerProjection()], { ...events, REDIS_URL: redisUrl })
  })
  afterAll(async () => {
    await producer?.close()
    await consumer?.close()
    await proxy?.close()
    const redis = new Redis(redisUrl!)
    const keys = await redis.keys(`${prefix}:*`)
    if (keys.length > 0) await redis.del(...keys)
    await redis.quit()
  })

  const projected = async (follower: string, followed: string) => {
    const [row] = await consumer.sql.analytics!`
      select following from follow_projection where follower_id = ${follower} and followed_id = ${followed}`
    return row?.following === true
  }

  test('requests that do not need Redis keep working; events wait, then all arrive once', async () => {
    const alice = await registerAccount(producer, 'outage_alice', 'alice password')
    const bob = await registerAccount(producer, 'outage_bob')
    await waitFor('the registrations before the outage', async () => {
      const [row] = await consumer.sql.analytics!`select count(*)::int as n from known_users`
      return row!.n === 2
    })

    await proxy.down()
    const profile = await producer.request(`/api/users/${bob.id}`)
    expect(profile.status).toBe(200)
    const login = await producer.request('/api/auth/login', {
      method: 'POST',
      json: { login: 'outage_alice', password: 'alice password' },
    })
    expect(login.status).toBe(200)
    expect((await producer.request(`/api/users/${bob.id}/follow`, { method: 'PUT', token: alice.accessToken })).status).toBe(204)
    const carol = await registerAccount(producer, 'outage_carol')

    // The events of the outage are in the outbox, not lost and not yet delivered.
    await waitFor('a failed hand-over to Redis', async () => {
      const [row] = await producer.sql.users!`
        select count(*)::int as n, coalesce(min(attempts), 0)::int as attempts from outbox where published_at is null`
      return row!.n === 2 && row!.attempts >= 1
    })
    expect(await projected(alice.id, bob.id)).toBe(false)

    await proxy.up()
    await waitFor(
      'the events of the outage',
      async () => {
        const [row] = await consumer.sql.analytics!`select count(*)::int as n from known_users where user_id = ${carol.id}`
        return row!.n === 1 && (await projected(alice.id, bob.id))
      },
      20_000,
    )
    const applied = await consumer.sql.analytics!`select applications from applied_events`
    expect(applied).toHaveLength(4)
    expect(applied.every((row) => row.applications === 1)).toBe(true)
  }, 40_000)
})
