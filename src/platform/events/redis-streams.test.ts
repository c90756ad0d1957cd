import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import Redis from 'ioredis'
import { loadConfig, type Config } from '../config.ts'
import { createPlatform, type Platform } from '../platform.ts'
import { createTestPlatform, testRedisUrl, type TestPlatform } from '../testing/harness.ts'
import { startRedisProxy } from '../testing/redis-proxy.ts'
import { pingFrom, probeConsumer, probeProducer, PROBE_TYPE, waitFor, type Attempts } from './test-probe.ts'

const redisUrl = testRedisUrl('events over Redis Streams')

let redis: Redis
let prefix: string
let env: Record<string, string>
const opened: { close: () => Promise<void> }[] = []

/** Remembers what a test opened, so it is closed even when the test fails; last opened, first closed. */
function track<T extends { close: () => Promise<void> } | Platform>(resource: T): T {
  opened.unshift('close' in resource ? resource : { close: () => resource.stop() })
  return resource
}

/** A second process on the databases of `t` (a replica), with `env` on top. */
const replicaConfig = (t: TestPlatform, module: string, extra: Record<string, string> = {}): Config => ({
  ...loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: '.data/test', ...env, ...extra }),
  modules: [module],
  databaseUrls: t.databaseUrls,
})

const streamKey = () => `${prefix}:${PROBE_TYPE}`
const pendingCount = async () => Number(((await redis.xpending(streamKey(), 'probe-consumer')) as [number])[0])
/** Entries of the probe stream not yet delivered to the consumer group. */
const groupLag = async () => {
  const [flat = []] = (await redis.xinfo('GROUPS', streamKey())) as unknown[][]
  return flat[flat.indexOf('lag') + 1]
}
const pings = async (t: TestPlatform) =>
  (await t.sql['probe-consumer']!`select event_id, replica from pings`) as unknown as { event_id: string; replica: string }[]

beforeAll(() => {
  if (redisUrl) redis = new Redis(redisUrl)
})
afterAll(() => redis?.quit())
afterEach(async () => {
  for (const resource of opened.splice(0)) await resource.close()
  if (!redis) return
  const keys = await redis.keys(`${prefix}:*`)
  if (keys.length > 0) await redis.del(...keys)
})

describe.skipIf(!redisUrl)('events over Redis Streams', () => {
  /** Streams of their own for each test, so tests (and other test runs) never see each other's events. */
  const fresh = () => {
    prefix = `test:events:${crypto.randomUUID()}`
    env = { REDIS_URL: redisUrl!, EVENTS_STREAM_PREFIX: prefix, EVENTS_CLAIM_IDLE_MS: '300' }
  }

  test('two replicas of a consumer share the stream; each event has its effect once', async () => {
    fresh()
    const attempts: Attempts = new Map()
    const producer = track(await createTestPlatform([probeProducer], env))
    const first = track(await createTestPlatform([probeConsumer('a', attempts)], env))
    const second = track(await createPlatform(replicaConfig(first, 'probe-consumer'), [probeConsumer('b', attempts)]))
    const ids: string[] = []
    for (let batch = 0; batch < 20; batch++) {
      ids.push(...(await pingFrom(producer.sql['probe-producer']!, ...Array.from({ length: 10 }, (_, n) => ({ n: batch * 10 + n })))))
      await Bun.sleep(5)
    }
    await waitFor('200 pings', async () => (await pings(first)).length >= 200)
    const rows = await pings(first)
    expect(rows.length).toBe(200)
    expect(new Set(rows.map((r) => r.event_id))).toEqual(new Set(ids))
    expect(rows.filter((r) => r.replica === 'a').length).toBeGreaterThan(0)
    expect(rows.filter((r) => r.replica === 'b').length).toBeGreaterThan(0)
    await waitFor('the pending list to drain', async () => (await pendingCount()) === 0)

    expect(await (await producer.request('/metrics')).text()).toContain(`events_published_total{type="${PROBE_TYPE}"} 200`)
    const consumerMetrics = await second.metrics.registry.metrics()
    expect(consumerMetrics).toContain(`events_consumer_pending{module="probe-consumer",type="${PROBE_TYPE}"} 0`)
    expect(consumerMetrics).toContain(`events_consumer_lag{module="probe-consumer",type="${PROBE_TYPE}"} 0`)
  }, 20_000)

  test('an event failing 5 times goes to the dead-letter stream and is acknowledged', async () => {
    fresh()
    const attempts: Attempts = new Map()
    const producer = track(await createTestPlatform([probeProducer], env))
    const consumer = track(await createTestPlatform([probeConsumer('a', attempts)], env))
    const [bad, good] = await pingFrom(producer.sql['probe-producer']!, { n: 1, fail: 'always' }, { n: 2 })
    const deadLetters = `${prefix}:dead-letter:probe-consumer`
    await waitFor('a dead letter', async () => (await redis.xlen(deadLetters)) === 1, 15_000)
    // One call per delivery, plus the batch `good` may have shared with it first (test-probe.ts).
    expect(attempts.get(bad!)).toBeGreaterThanOrEqual(5)
    expect(attempts.get(bad!)).toBeLessThanOrEqual(6)
    expect((await pings(consumer)).map((r) => r.event_id)).toEqual([good!])
    const [[, fields] = ['', []]] = await redis.xrange(deadLetters, '-', '+')
    const entry = Object.fromEntries(fields.flatMap((v, i) => (i % 2 === 0 ? [[v, fields[i + 1]]] : [])))
    expect(entry).toMatchObject({ stream: streamKey(), deliveries: '5', error: 'the probe was told to fail' })
    expect(JSON.parse(entry.event!)).toMatchObject({ id: bad, type: PROBE_TYPE, payload: { n: 1, fail: 'always' } })
    expect(await pendingCount()).toBe(0)
    expect(await (await consumer.request('/metrics')).text()).toContain(
      `events_dead_lettered_total{module="probe-consumer",type="${PROBE_TYPE}"} 1`,
    )
  }, 20_000)

  test('a poison event among many read at once is dead-lettered alone; a full redelivery then changes nothing', async () => {
    fresh()
    const attempts: Attempts = new Map()
    const producer = track(await createTestPlatform([probeProducer], env))
    const ids = await pingFrom(
      producer.sql['probe-producer']!,
      ...Array.from({ length: 100 }, (_, n) => (n === 37 ? { n, fail: 'always' as const } : { n })),
    )
    await waitFor('100 entries', async () => (await redis.xlen(streamKey())) === 100)
    // Started only now, so its first read takes all 100 in one batch.
    const consumer = track(await createTestPlatform([probeConsumer('a', attempts)], env))
    const deadLetters = `${prefix}:dead-letter:probe-consumer`
    await waitFor('a dead letter', async () => (await redis.xlen(deadLetters)) === 1, 15_000)
    const poison = ids[37]!
    const good = ids.filter((id) => id !== poison)
    const handledOnce = async () => {
      const rows = await pings(consumer)
      return rows.length === good.length && new Set(rows.map((r) => r.event_id)).size === good.length
    }
    expect(await handledOnce()).toBe(true)
    expect(new Set((await pings(consumer)).map((r) => r.event_id))).toEqual(new Set(good))
    const [[, fields] = ['', []]] = await redis.xrange(deadLetters, '-', '+')
    expect(JSON.parse(fields[fields.indexOf('event') + 1]!)).toMatchObject({ id: poison })
    expect(fields[fields.indexOf('deliveries') + 1]).toBe('5')
    // The batch, then alone on each of the five deliveries.
    expect(attempts.get(poison)).toBe(6)
    await waitFor('the pending list to drain', async () => (await pendingCount()) === 0)
    const callsBefore = [...attempts]

    // Every good entry once more, as a relay that died before marking its rows would send them.
    const entries = await redis.xrange(streamKey(), '-', '+')
    const replay = redis.pipeline()
    for (const [, entryFields] of entries) if (!entryFields[1]!.includes(poison)) replay.xadd(streamKey(), '*', ...entryFields)
    await replay.exec()
    await waitFor('the replay to be read and acknowledged', async () => (await groupLag()) === 0 && (await pendingCount()) === 0)
    expect(await handledOnce()).toBe(true)
    expect(await redis.xlen(deadLetters)).toBe(1)
    // The inbox knew them all: no handler ran again.
    expect([...attempts]).toEqual(callsBefore)
  }, 20_000)

  test('entries a dead consumer left pending are claimed (XAUTOCLAIM) and handled', async () => {
    fresh()
    await redis.xgroup('CREATE', streamKey(), 'probe-consumer', '0', 'MKSTREAM')
    const producer = track(await createTestPlatform([probeProducer], env))
    const ids = await pingFrom(producer.sql['probe-producer']!, { n: 1 }, { n: 2 }, { n: 3 })
    await waitFor('three entries', async () => (await redis.xlen(streamKey())) === 3)
    // A replica reads them and dies before acknowledging.
    await redis.xreadgroup('GROUP', 'probe-consumer', 'dead-replica', 'COUNT', 10, 'STREAMS', streamKey(), '>')
    expect(await pendingCount()).toBe(3)

    const consumer = track(await createTestPlatform([probeConsumer('survivor')], env))
    await waitFor('three pings', async () => (await pings(consumer)).length === 3)
    const rows = await pings(consumer)
    expect(new Set(rows.map((r) => r.event_id))).toEqual(new Set(ids))
    expect(rows.every((r) => r.replica === 'survivor')).toBe(true)
    await waitFor('the pending list to drain', async () => (await pendingCount()) === 0)
  }, 15_000)

  test('consumers of replicas gone a while with nothing pending leave the group; one holding entries stays', async () => {
    fresh()
    const names = async () =>
      ((await redis.xinfo('CONSUMERS', streamKey(), 'probe-consumer')) as string[][]).map((flat) => flat[1]).sort()
    await redis.xgroup('CREATE', streamKey(), 'probe-consumer', '0', 'MKSTREAM')
    // A replica that restarted under a new name, and one that died holding an entry.
    await redis.xgroup('CREATECONSUMER', streamKey(), 'probe-consumer', 'gone-replica')
    await redis.xadd(streamKey(), '*', 'event', 'held')
    await redis.xreadgroup('GROUP', 'probe-consumer', 'stuck-replica', 'COUNT', 1, 'STREAMS', streamKey(), '>')
    await Bun.sleep(3100)
    // A claim idle time longer than the test: the held entry stays where it is.
    track(await createTestPlatform([probeConsumer('a')], { ...env, EVENTS_CLAIM_IDLE_MS: '60000', EVENTS_DEAD_CONSUMER_IDLE_MS: '3000' }))
    await waitFor('the gone replica to leave the group', async () => !(await names()).includes('gone-replica'))
    // Sweeps run every 1.5 s: one has run by now, while this one was idle less than 3 s.
    await redis.xgroup('CREATECONSUMER', streamKey(), 'probe-consumer', 'new-replica')
    await Bun.sleep(1600)
    expect(await names()).toEqual(['new-replica', 'stuck-replica'])
    expect(await pendingCount()).toBe(1)
  }, 20_000)

  test('two relays on one outbox put each event on the stream once', async () => {
    fresh()
    const first = track(await createTestPlatform([probeProducer], env))
    track(await createPlatform(replicaConfig(first, 'probe-producer'), [probeProducer]))
    const ids = await pingFrom(first.sql['probe-producer']!, ...Array.from({ length: 2000 }, (_, n) => ({ n })))
    await waitFor('2000 entries', async () => (await redis.xlen(streamKey())) >= 2000)
    await Bun.sleep(200)
    const entries = (await redis.xrange(streamKey(), '-', '+')) as [string, string[]][]
    expect(entries.length).toBe(2000)
    expect(new Set(entries.map(([, fields]) => (JSON.parse(fields[1]!) as { id: string }).id))).toEqual(new Set(ids))
  }, 15_000)

  test('while Redis is unreachable requests still work and events wait in the outbox; all arrive after', async () => {
    fresh()
    const proxy = track(await startRedisProxy(redisUrl!))
    const attempts: Attempts = new Map()
    const producer = track(await createTestPlatform([probeProducer], { ...env, REDIS_URL: proxy.url }))
    const consumer = track(await createTestPlatform([probeConsumer('a', attempts)], env))
    const [before] = await pingFrom(producer.sql['probe-producer']!, { n: 1 })
    await waitFor('the first ping', async () => (await pings(consumer)).length === 1)

    await proxy.down()
    const during = await pingFrom(producer.sql['probe-producer']!, { n: 2 }, { n: 3 })
    await waitFor('a failed hand-over', async () => {
      const [row] = await producer.sql['probe-producer']!`select count(*)::int as n, min(attempts)::int as attempts from outbox where published_at is null`
      return row?.n === 2 && row.attempts >= 1
    })
    const started = performance.now()
    expect((await producer.request('/healthz')).status).toBe(200)
    expect((await producer.request('/metrics')).status).toBe(200)
    expect(performance.now() - started).toBeLessThan(1500)

    await proxy.up()
    await waitFor('the pings sent during the outage', async () => (await pings(consumer)).length === 3, 15_000)
    expect(new Set((await pings(consumer)).map((r) => r.event_id))).toEqual(new Set([before!, ...during]))
    expect([...attempts.values()]).toEqual([1, 1, 1])
  }, 25_000)
})
