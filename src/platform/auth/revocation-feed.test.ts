import { afterAll, describe, expect, test } from 'bun:test'
import Redis from 'ioredis'
import { exportSPKI, generateKeyPair } from 'jose'
import pino from 'pino'
import { createInProcessPubSub } from '../pubsub/in-process.ts'
import { createRedisPubSub } from '../pubsub/redis.ts'
import { testRedisUrl } from '../testing/harness.ts'
import { createRevocationFeed, revocationStoreKey, type RevocationFeed } from './revocation-feed.ts'
import { createRevocationList, type RevocationList } from './revocations.ts'

const log = pino({ level: 'silent' })
const redisUrl = testRedisUrl('revocations over Redis')
const cleanups: (() => unknown)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const publicKeyPem = async () => exportSPKI((await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })).publicKey)
const inAMinute = () => Math.floor(Date.now() / 1000) + 60

/** A process's feed on its own Redis connections, started. */
async function processFeed(url: string, key: string): Promise<{ feed: RevocationFeed; list: RevocationList }> {
  const publisher = new Redis(url)
  const transport = createRedisPubSub({ url, publisher, log })
  const list = createRevocationList()
  const feed = createRevocationFeed({ transport, redis: publisher, publicKeyPem: key, list, log })
  cleanups.push(async () => {
    feed.close()
    await transport.close()
    publisher.disconnect()
  })
  await feed.start()
  return { feed, list }
}

async function until(what: string, check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(10)
  }
}

describe.skipIf(!redisUrl)('the revocation feed over Redis', () => {
  /** A key pair's public half, its stored revocations removed after the tests, and a Redis connection. */
  async function storedKey(): Promise<{ key: string; redis: Redis }> {
    const key = await publicKeyPem()
    const redis = new Redis(redisUrl!)
    cleanups.push(async () => {
      await redis.del(revocationStoreKey(key))
      await redis.quit()
    })
    return { key, redis }
  }

  test('reaches running processes, is loaded by later ones, and stays within its key pair', async () => {
    const { key } = await storedKey()
    const a = await processFeed(redisUrl!, key)
    const b = await processFeed(redisUrl!, key)
    const stranger = await processFeed(redisUrl!, await publicKeyPem())
    expect([a.feed.readiness(), b.feed.readiness()]).toEqual(['ok', 'ok'])
    // Let the subscriptions settle: a message published before one is active is only found at the next resync.
    await Bun.sleep(200)

    await a.feed.publish([
      { kind: 'session', sessionId: 'feed-session', until: inAMinute() },
      { kind: 'roles', userId: '7', version: 3, roles: [], until: inAMinute() },
    ])
    // The publisher's own list has it as soon as publish returns.
    expect(a.list.sessionRevoked('feed-session')).toBe(true)
    await until('the other process to hear of it', () => b.list.sessionRevoked('feed-session'))
    expect(b.list.rolesFloor('7')?.version).toBe(3)

    const later = await processFeed(redisUrl!, key)
    expect(later.list.sessionRevoked('feed-session')).toBe(true)
    expect(later.list.rolesFloor('7')?.version).toBe(3)

    // Another key pair's processes neither heard nor stored it.
    expect(stranger.list.size()).toBe(0)
    expect((await processFeed(redisUrl!, await publicKeyPem())).list.size()).toBe(0)
  }, 20_000)

  test('a stored entry of another shape is dropped, the rest applied', async () => {
    const { key, redis } = await storedKey()
    await redis.zadd(revocationStoreKey(key), Date.now(), 'not json', Date.now(), JSON.stringify({ kind: 'session', sessionId: 'stored', until: inAMinute() }))
    const { list } = await processFeed(redisUrl!, key)
    expect(list.sessionRevoked('stored')).toBe(true)
    expect(list.size()).toBe(1)
  }, 20_000)
})

describe('the revocation feed in one process (no Redis)', () => {
  test('publish applies at once; the transport has nothing to be down', async () => {
    const list = createRevocationList()
    const feed = createRevocationFeed({ transport: createInProcessPubSub(log), redis: undefined, publicKeyPem: await publicKeyPem(), list, log })
    await feed.start()
    await feed.publish([{ kind: 'session', sessionId: 'local', until: inAMinute() }])
    expect(list.sessionRevoked('local')).toBe(true)
    expect(feed.readiness()).toBeUndefined()
    feed.close()
  })
})

describe('the revocation list', () => {
  test('forgets what expired; keeps the latest until and the highest roles version', () => {
    let now = 1000
    const list = createRevocationList(() => now)
    list.apply([
      { kind: 'session', sessionId: 's', until: 1010 },
      { kind: 'session', sessionId: 's', until: 1005 },
      { kind: 'roles', userId: '1', version: 4, roles: ['partner'], until: 1010 },
      { kind: 'roles', userId: '1', version: 2, roles: ['admin'], until: 1020 },
    ])
    expect(list.rolesFloor('1')).toEqual({ version: 4, roles: ['partner'], until: 1020 })
    now = 1009
    expect(list.sessionRevoked('s')).toBe(true)
    now = 1010
    expect(list.sessionRevoked('s')).toBe(false)
    list.prune()
    expect(list.size()).toBe(1)
    now = 1020
    list.prune()
    expect(list.size()).toBe(0)
  })
})
