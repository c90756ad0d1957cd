import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import pino from 'pino'
import { Registry } from 'prom-client'
import { createModuleDatabase } from '../db/database.ts'
import { loadConfig } from '../config.ts'
import { createMetrics } from '../metrics.ts'
import { createPlatform } from '../platform.ts'
import { createTestPlatform, type TestPlatform } from '../testing/harness.ts'
import { createInProcessTransport } from './in-process.ts'
import { createInbox } from './inbox.ts'
import { createEventMetrics } from './metrics.ts'
import { pingFrom, probeConsumer, probeProducer, PROBE_TYPE, waitFor, type Attempts } from './test-probe.ts'

const attempts: Attempts = new Map()
const modules = [probeProducer, probeConsumer('monolith', attempts)]
let t: TestPlatform

beforeAll(async () => {
  t = await createTestPlatform(modules)
})
afterAll(() => t.close())

const pingsOf = async (ids: string[]) =>
  Number((await t.sql['probe-consumer']!`select count(*)::int as n from pings where event_id in ${t.sql['probe-consumer']!(ids)}`)[0]!.n)
const unpublished = async () =>
  Number((await t.sql['probe-producer']!`select count(*)::int as n from outbox where published_at is null`)[0]!.n)

describe('in-process events (one process, no Redis)', () => {
  test('an event committed by the producer reaches the consumer, once', async () => {
    const ids = await pingFrom(t.sql['probe-producer']!, { n: 1 }, { n: 2 }, { n: 3 })
    await waitFor('three pings', async () => (await pingsOf(ids)) === 3)
    await waitFor('an empty outbox', async () => (await unpublished()) === 0)
    const rows = await t.sql['probe-consumer']!`select n, replica from pings where event_id in ${t.sql['probe-consumer']!(ids)} order by n`
    expect(rows.map((r) => [r.n, r.replica])).toEqual([
      [1, 'monolith'],
      [2, 'monolith'],
      [3, 'monolith'],
    ])
    const metrics = await (await t.request('/metrics')).text()
    expect(metrics).toContain(`events_published_total{type="${PROBE_TYPE}"} 3`)
    expect(metrics).toContain(`events_consumed_total{module="probe-consumer",type="${PROBE_TYPE}"} 3`)
    expect(metrics).toContain('events_outbox_backlog{module="probe-producer"} 0')
    expect(metrics).toContain('events_outbox_oldest_age_seconds{module="probe-producer"} 0')
  })

  test('a redelivered event changes nothing (the inbox drops it)', async () => {
    const ids = await pingFrom(t.sql['probe-producer']!, { n: 10 }, { n: 11 })
    await waitFor('two pings', async () => (await pingsOf(ids)) === 2)
    // As if the relay had crashed after the consumer committed but before it marked the rows.
    await t.sql['probe-producer']!`update outbox set published_at = null where event_id in ${t.sql['probe-producer']!(ids)}`
    await waitFor('the relay to send them again', async () => (await unpublished()) === 0)
    expect(ids.map((id) => attempts.get(id))).toEqual([1, 1])
    expect(await pingsOf(ids)).toBe(2)
  })

  test('a poison event (default retry delays) holds back neither the relay nor the events behind it', async () => {
    const [poison] = await pingFrom(t.sql['probe-producer']!, { n: 50, fail: 'always' })
    const started = performance.now()
    const [next] = await pingFrom(t.sql['probe-producer']!, { n: 51 })
    // The old transport retried inside the relay's hand-over for ~10 s before the next batch.
    await waitFor('the event behind the poison', async () => (await pingsOf([next!])) === 1, 2_000)
    expect(performance.now() - started).toBeLessThan(2_000)
    await waitFor('an empty outbox', async () => (await unpublished()) === 0, 2_000)
    const [parked] = await t.sql['probe-consumer']!`select attempts, retry_at from dead_letters where event_id = ${poison!}`
    expect(parked!.attempts).toBeGreaterThanOrEqual(1)
  })

  test('a process stopped between commit and delivery loses nothing: the next one delivers', async () => {
    await t.platform.stop()
    const [id] = await pingFrom(t.sql['probe-producer']!, { n: 20 })
    await Bun.sleep(100)
    expect(await unpublished()).toBe(1)
    expect(await pingsOf([id!])).toBe(0)

    const config = { ...loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: '.data/test' }), modules: modules.map((m) => m.name), databaseUrls: t.databaseUrls }
    const restarted = await createPlatform(config, modules)
    try {
      await waitFor('the ping after restart', async () => (await pingsOf([id!])) === 1)
      await waitFor('an empty outbox', async () => (await unpublished()) === 0)
      expect(attempts.get(id!)).toBe(1)
    } finally {
      await restarted.stop()
    }
  })
})

describe('in-process dead letters', () => {
  test('a poison event lands in dead_letters after 5 attempts, retried outside the hand-over and across a restart', async () => {
    const registry = new Registry()
    const metrics = createEventMetrics(registry, { outboxes: async () => [], lag: async () => [] })
    const log = pino({ level: 'silent' })
    const failing: Attempts = new Map()
    const consumer = probeConsumer('dead-letter', failing)
    const database = createModuleDatabase({
      module: 'probe-consumer',
      url: t.databaseUrls['probe-consumer']!,
      poolMax: 2,
      queryDuration: createMetrics().queryDuration,
    })
    const transport = (delays: number[]) => {
      const created = createInProcessTransport({ metrics, log, retryDelaysMs: delays })
      created.subscribe(createInbox({ module: 'probe-consumer', database, consumes: consumer.consumes!, metrics, log }))
      return created
    }
    const letter = async (id: string) =>
      (await database.sql<{ type: string; error: string; attempts: number; retry_at: Date | null; payload: unknown; first_failed_at: Date; last_failed_at: Date }[]>`
        select type, error, attempts, retry_at, payload, first_failed_at, last_failed_at from dead_letters
        where consumer = 'probe-consumer' and event_id = ${id}`)[0]
    // Events the platform tests above parked are not this test's to count.
    await database.sql`delete from dead_letters`
    try {
      // The first retry waits long enough for the process to stop before it.
      const first = transport([1000, 5, 5, 5])
      await first.start()
      const [bad, good, broken] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()]
      const occurredAt = new Date().toISOString()
      await first.publish([
        { id: bad, type: PROBE_TYPE, occurredAt, payload: { n: 30, fail: 'always' } },
        { id: good, type: PROBE_TYPE, occurredAt, payload: { n: 31 } },
        { id: broken, type: PROBE_TYPE, occurredAt, payload: { n: 'not a number' } },
      ])
      // The hand-over tried each once: the good one is in, the poison parked, the broken one dead at once.
      expect(await pingsOf([good])).toBe(1)
      expect(await letter(bad)).toMatchObject({ attempts: 1, error: 'the probe was told to fail', payload: { n: 30, fail: 'always' } })
      expect((await letter(bad))!.retry_at).toBeInstanceOf(Date)
      expect(await letter(broken)).toMatchObject({ attempts: 1, retry_at: null, type: PROBE_TYPE })
      expect((await letter(broken))!.error).toContain('payload breaks the probe.pinged.v1 contract')
      await first.stop()

      // A restart carries on from the table.
      const second = transport([5, 5, 5, 5])
      await second.start()
      try {
        await waitFor('the poison dead-lettered', async () => (await letter(bad))?.retry_at === null)
      } finally {
        await second.stop()
      }
      const dead = (await letter(bad))!
      expect(dead).toMatchObject({ attempts: 5, error: 'the probe was told to fail', retry_at: null })
      expect(dead.last_failed_at.getTime()).toBeGreaterThan(dead.first_failed_at.getTime())
      expect(await letter(good)).toBeUndefined()
      expect(await pingsOf([bad, good])).toBe(1)
      const text = await registry.metrics()
      expect(text).toContain(`events_dead_lettered_total{module="probe-consumer",type="${PROBE_TYPE}"} 2`)
      expect(text).toContain(`events_consumed_total{module="probe-consumer",type="${PROBE_TYPE}"} 1`)
    } finally {
      await database.close()
    }
  }, 20_000)

  test('a consumer whose database is down fails the hand-over instead of dead-lettering', async () => {
    const registry = new Registry()
    const metrics = createEventMetrics(registry, { outboxes: async () => [], lag: async () => [] })
    const log = pino({ level: 'silent' })
    const database = createModuleDatabase({
      module: 'probe-consumer',
      url: t.databaseUrls['probe-consumer']!,
      poolMax: 1,
      queryDuration: createMetrics().queryDuration,
    })
    await database.close()
    const transport = createInProcessTransport({ metrics, log, retryDelaysMs: [5, 5, 5, 5] })
    const consumer = probeConsumer('database-down')
    transport.subscribe(createInbox({ module: 'probe-consumer', database, consumes: consumer.consumes!, metrics, log }))
    const event = { id: crypto.randomUUID(), type: PROBE_TYPE, occurredAt: new Date().toISOString(), payload: { n: 40 } }
    await expect(transport.publish([event])).rejects.toThrow()
    expect(await registry.metrics()).not.toContain('events_dead_lettered_total{')
  })
})
