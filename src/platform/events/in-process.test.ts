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
  test('an event failing 5 times is given up on (logged, counted) and the rest still arrive', async () => {
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
    try {
      const transport = createInProcessTransport({ metrics, log, retryDelaysMs: [5, 5, 5, 5] })
      transport.subscribe(createInbox({ module: 'probe-consumer', database, consumes: consumer.consumes!, metrics, log }))
      const bad = crypto.randomUUID()
      const good = crypto.randomUUID()
      const occurredAt = new Date().toISOString()
      await transport.publish([
        { id: bad, type: PROBE_TYPE, occurredAt, payload: { n: 30, fail: 'always' } },
        { id: good, type: PROBE_TYPE, occurredAt, payload: { n: 31 } },
        { id: crypto.randomUUID(), type: PROBE_TYPE, occurredAt, payload: { n: 'not a number' } },
      ])
      // Each of the 5 deliveries tried `bad` alone; the first, before that, in the batch with `good`,
      // which then went again without it (the probe's handler takes a delivery's pings at once).
      expect(failing.get(bad)).toBe(6)
      expect(failing.get(good)).toBe(2)
      expect(await pingsOf([bad, good])).toBe(1)
      const text = await registry.metrics()
      expect(text).toContain(`events_dead_lettered_total{module="probe-consumer",type="${PROBE_TYPE}"} 2`)
      expect(text).toContain(`events_consumed_total{module="probe-consumer",type="${PROBE_TYPE}"} 1`)
    } finally {
      await database.close()
    }
  })

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
