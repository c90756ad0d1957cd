import { afterAll, describe, expect, test } from 'bun:test'
import Redis from 'ioredis'
import { createTestPlatform, testRedisUrl, type TestPlatform } from '../testing/harness.ts'
import { openModuleDatabase } from '../testing/module-database.ts'
import { requestFirstSnapshot } from './snapshot-records.ts'
import { snapshotStream } from './snapshot-requests.ts'
import { snapshotOf, writeSnapshot } from './snapshot.ts'
import { probeConsumer, probeEvents, probeProducer, waitFor } from './test-probe.ts'

const SNAPSHOT_SIZE = 3
/** The probe producer with a snapshot: pings 1…3, in two batches. */
const producer = {
  ...probeProducer,
  snapshot: snapshotOf(probeEvents, async function* () {
    yield [1, 2].map((n) => ({ type: 'probe.pinged.v1' as const, payload: { n } }))
    yield [{ type: 'probe.pinged.v1' as const, payload: { n: SNAPSHOT_SIZE } }]
  }),
}
const bystander = { ...probeConsumer('bystander'), name: 'probe-bystander' }
const redisUrl = testRedisUrl('snapshots over Redis Streams')

const opened: { close: () => Promise<void> }[] = []
afterAll(async () => {
  for (const resource of opened.splice(0)) await resource.close()
})

const pingsOf = async (t: TestPlatform, module: string) =>
  (await t.sql[module]!<{ n: number }[]>`select n from pings order by n`).map((row) => row.n)
const completedIn = async (t: TestPlatform, module: string) =>
  (await t.sql[module]!`select 1 from event_snapshots where producer = ${producer.name} and completed_at is not null`).length === 1

/** Two consumers of the probe producer's pings: each gets its own first snapshot, and a replay for one reaches it alone. */
async function expectTargetedDelivery(env: Record<string, string>) {
  const t = await createTestPlatform([producer, probeConsumer('a'), bystander], env)
  opened.unshift(t)
  for (const consumer of ['probe-consumer', bystander.name]) {
    await waitFor(`${consumer}'s first snapshot`, () => completedIn(t, consumer), 15_000)
    expect(await pingsOf(t, consumer)).toEqual([1, 2, 3])
  }
  const outbox = t.sql[producer.name]!
  expect((await outbox`select target, count(*)::int as n from outbox group by target order by target`).map((r) => [r.target, r.n])).toEqual([
    ['probe-bystander', SNAPSHOT_SIZE + 1],
    ['probe-consumer', SNAPSHOT_SIZE + 1],
  ])

  await t.sql[bystander.name]!`update event_snapshots set completed_at = null`
  await writeSnapshot({ producer, sql: outbox, consumer: bystander.name, types: ['probe.pinged.v1'] })
  await waitFor('the replay for the bystander', () => completedIn(t, bystander.name), 15_000)
  expect(await pingsOf(t, bystander.name)).toEqual([1, 1, 2, 2, 3, 3])
  expect(await pingsOf(t, 'probe-consumer')).toEqual([1, 2, 3])
  return t
}

test('in one process, a targeted snapshot reaches its consumer alone', async () => {
  await expectTargetedDelivery({})
}, 30_000)

describe.skipIf(!redisUrl)('over Redis Streams', () => {
  test('a targeted snapshot goes through the consumer own stream, read by its group alone', async () => {
    const prefix = `test:snapshot:${crypto.randomUUID()}`
    const redis = new Redis(redisUrl!)
    opened.push({
      close: async () => {
        const keys = await redis.keys(`${prefix}:*`)
        if (keys.length > 0) await redis.del(...keys)
        await redis.quit()
      },
    })
    await expectTargetedDelivery({ REDIS_URL: redisUrl!, EVENTS_STREAM_PREFIX: prefix })
    expect(await redis.xlen(snapshotStream(prefix, bystander.name))).toBe(2 * (SNAPSHOT_SIZE + 1))
    expect(await redis.xlen(snapshotStream(prefix, 'probe-consumer'))).toBe(SNAPSHOT_SIZE + 1)
    expect(await redis.xlen(`${prefix}:probe.pinged.v1`)).toBe(0)
  }, 30_000)
})

test('replicas claiming the first snapshot together request it once; a failed request leaves no record', async () => {
  const { database, close } = await openModuleDatabase(probeProducer, 6)
  opened.push({ close })
  let requests = 0
  const slowRequest = async () => {
    requests++
    await Bun.sleep(200)
  }
  const claims = await Promise.all(
    Array.from({ length: 5 }, () => requestFirstSnapshot(database.sql, 'probe-consumer', 'probe-producer', slowRequest)),
  )
  expect(claims.filter(Boolean)).toHaveLength(1)
  expect(requests).toBe(1)
  expect(await requestFirstSnapshot(database.sql, 'probe-consumer', 'probe-producer', slowRequest)).toBe(false)

  const failing = requestFirstSnapshot(database.sql, 'probe-bystander', 'probe-producer', async () => {
    throw new Error('Redis is away')
  })
  expect(failing).rejects.toThrow('Redis is away')
  await failing.catch(() => {})
  expect(await database.sql`select 1 from event_snapshots where consumer = 'probe-bystander'`).toHaveLength(0)
  expect(await requestFirstSnapshot(database.sql, 'probe-bystander', 'probe-producer', slowRequest)).toBe(true)
})
