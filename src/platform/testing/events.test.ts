import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { ModuleDatabase } from '../db/database.ts'
import { pingFrom, probeConsumer, probeProducer, PROBE_TYPE, type Attempts } from '../events/test-probe.ts'
import { deliver, publishedEvents } from './events.ts'
import { openModuleDatabase } from './module-database.ts'

const attempts: Attempts = new Map()
const consumer = probeConsumer('helper', attempts)
let consumerDb: ModuleDatabase
let producerDb: ModuleDatabase
const closers: (() => Promise<void>)[] = []
beforeAll(async () => {
  const [c, p] = await Promise.all([openModuleDatabase(consumer), openModuleDatabase(probeProducer)])
  consumerDb = c.database
  producerDb = p.database
  closers.push(c.close, p.close)
})
afterAll(() => Promise.all(closers.map((close) => close())))

const inboxHas = async (id: string) => (await consumerDb.sql`select 1 from inbox where event_id = ${id}`).length === 1
const pings = async (id: string) => (await consumerDb.sql`select 1 from pings where event_id = ${id}`).length

describe('deliver: a contract event through the real inbox', () => {
  test('is handled once and recorded in the inbox; a redelivery is a duplicate', async () => {
    const { id, outcome } = await deliver(consumerDb, consumer, PROBE_TYPE, { n: 1 })
    expect(outcome).toEqual({ status: 'handled' })
    expect(await inboxHas(id)).toBe(true)
    expect(await pings(id)).toBe(1)
    expect((await deliver(consumerDb, consumer, PROBE_TYPE, { n: 1 }, { id })).outcome).toEqual({ status: 'duplicate' })
    expect(await pings(id)).toBe(1)
  })

  test('a payload breaking the contract is rejected before any handler runs', async () => {
    const { id, outcome } = await deliver(consumerDb, consumer, PROBE_TYPE, { n: 'two' })
    expect(outcome.status).toBe('rejected')
    expect(attempts.has(id)).toBe(false)
    expect(await inboxHas(id)).toBe(false)
  })

  test("a failing handler leaves neither its effect nor an inbox row: they share its transaction", async () => {
    const { id, outcome } = await deliver(consumerDb, consumer, PROBE_TYPE, { n: 3, fail: 'always' })
    expect(outcome).toEqual({ status: 'failed', error: 'the probe was told to fail' })
    expect(attempts.get(id)).toBe(1)
    expect(await inboxHas(id)).toBe(false)
  })
})

describe("publishedEvents: a producer's outbox", () => {
  test('lists what it wrote, oldest first, with type, payload and target', async () => {
    const ids = await pingFrom(producerDb.sql, { n: 1 }, { n: 2 })
    const events = await publishedEvents(producerDb, probeProducer, { type: PROBE_TYPE })
    expect(events.map(({ id, type, payload, target, published }) => ({ id, type, payload, target, published }))).toEqual([
      { id: ids[0]!, type: PROBE_TYPE, payload: { n: 1 }, target: null, published: false },
      { id: ids[1]!, type: PROBE_TYPE, payload: { n: 2 }, target: null, published: false },
    ])
    expect(events[0]!.occurredAt).toBeInstanceOf(Date)
    expect(await publishedEvents(producerDb, probeProducer, { type: 'probe.other.v1' })).toEqual([])
  })
})
