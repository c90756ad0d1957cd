import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import pino from 'pino'
import { Registry } from 'prom-client'
import { z } from 'zod'
import type { ModuleDatabase } from '../db/database.ts'
import { openModuleDatabase } from '../testing/module-database.ts'
import { consume } from './consume.ts'
import { createInbox } from './inbox.ts'
import { createEventMetrics } from './metrics.ts'
import { probeConsumer } from './test-probe.ts'
import { pings } from './test-probe/schema.ts'
import type { ConsumedEvents, EventBatchHandler, EventEnvelope } from './types.ts'

// Two event types of a made-up producer; the effect is a `pings` row per handled event.
const contracts = {
  'probe.one.v1': z.object({ n: z.number().int(), poison: z.boolean().optional() }),
  'probe.other.v1': z.object({ n: z.number().int() }),
}
type Type = keyof typeof contracts

let database: ModuleDatabase
let close: () => Promise<void>
const log = pino({ level: 'silent' })
/** Event ids per handler call, in call order, for the test running. */
let calls: string[][] = []

beforeAll(async () => {
  ;({ database, close } = await openModuleDatabase(probeConsumer('inbox')))
})
afterAll(() => close())
beforeEach(() => {
  calls = []
})

const event = (type: Type, n: number, poison?: boolean): EventEnvelope => ({
  id: crypto.randomUUID(),
  type,
  occurredAt: new Date().toISOString(),
  payload: poison ? { n, poison } : { n },
})

const inboxOf = (consumes: ConsumedEvents) => {
  const registry = new Registry()
  const metrics = createEventMetrics(registry, { outboxes: async () => [], lag: async () => [] })
  return { registry, inbox: createInbox({ module: 'analytics', database, consumes, metrics, log }) }
}

/** How many effects each event had (0 when none). */
const effects = async (events: EventEnvelope[]) => {
  const rows = await database.sql<{ event_id: string; n: number }[]>`
    select event_id::text, count(*)::int as n from pings where event_id in ${database.sql(events.map((e) => e.id))} group by event_id`
  const counts = new Map(rows.map((row) => [row.event_id, row.n]))
  return events.map((e) => counts.get(e.id) ?? 0)
}

const batched = consume(contracts, {
  'probe.one.v1': {
    handleMany: async (tx, events) => {
      calls.push(events.map((e) => e.id))
      if (events.some((e) => e.payload.poison)) throw new Error('poison')
      await tx.insert(pings).values(events.map((e) => ({ eventId: e.id, n: e.payload.n, replica: 'batch' })))
    },
  },
  'probe.other.v1': async (tx, e) => {
    calls.push([e.id])
    await tx.insert(pings).values({ eventId: e.id, n: e.payload.n, replica: 'single' })
  },
})

describe('inbox, one event per handler call', () => {
  const single = consume(contracts, {
    'probe.one.v1': async (tx, e) => {
      calls.push([e.id])
      if (e.payload.poison) throw new Error('poison')
      await tx.insert(pings).values({ eventId: e.id, n: e.payload.n, replica: 'single' })
    },
  })

  test('a throwing handler fails its event alone; the others commit, once', async () => {
    const { inbox } = inboxOf(single)
    const events = [event('probe.one.v1', 1), event('probe.one.v1', 2, true), event('probe.one.v1', 3)]
    const outcomes = await inbox.deliver(events)
    expect(outcomes.map((o) => o.status)).toEqual(['handled', 'failed', 'handled'])
    expect(outcomes[1]).toEqual({ status: 'failed', error: 'poison' })
    expect(await effects(events)).toEqual([1, 0, 1])
    // The first try stopped at the poison; the second went without it.
    expect(calls.map((c) => c.length)).toEqual([1, 1, 1, 1])
  })
})

describe('inbox, a batch handler', () => {
  test('takes the delivered events of its type in one call; the effect commits with the inbox', async () => {
    const { inbox, registry } = inboxOf(batched)
    const events = Array.from({ length: 50 }, (_, n) => event('probe.one.v1', n))
    const outcomes = await inbox.deliver(events)
    expect(outcomes.every((o) => o.status === 'handled')).toBe(true)
    expect(calls).toEqual([events.map((e) => e.id)])
    expect(await effects(events)).toEqual(events.map(() => 1))
    expect(await registry.metrics()).toContain('events_consumed_total{module="analytics",type="probe.one.v1"} 50')
  })

  test('gets runs of consecutive events of its type, in delivery order; per-event handlers one each', async () => {
    const { inbox } = inboxOf(batched)
    const [a, b, c, d, e] = [
      event('probe.one.v1', 1),
      event('probe.one.v1', 2),
      event('probe.other.v1', 3),
      event('probe.one.v1', 4),
      event('probe.one.v1', 5),
    ]
    const outcomes = await inbox.deliver([a!, b!, c!, d!, e!])
    expect(outcomes.map((o) => o.status)).toEqual(['handled', 'handled', 'handled', 'handled', 'handled'])
    expect(calls).toEqual([[a!.id, b!.id], [c!.id], [d!.id, e!.id]])
  })

  test('shared by several types: their consecutive events come in one call, in delivery order', async () => {
    const both = {
      handleMany: async (tx: Parameters<EventBatchHandler>[0], events: EventEnvelope[]) => {
        calls.push(events.map((e) => e.id))
        await tx.insert(pings).values(events.map((e) => ({ eventId: e.id, n: (e.payload as { n: number }).n, replica: 'batch' })))
      },
    }
    const { inbox } = inboxOf(consume(contracts, { 'probe.one.v1': both, 'probe.other.v1': both }))
    const events = [event('probe.one.v1', 1), event('probe.other.v1', 2), event('probe.one.v1', 3), event('probe.other.v1', 4)]
    const outcomes = await inbox.deliver(events)
    expect(outcomes.every((o) => o.status === 'handled')).toBe(true)
    expect(calls).toEqual([events.map((e) => e.id)])
    expect(await effects(events)).toEqual([1, 1, 1, 1])
  })

  test('that throws: its events go again one per call, so only the poison fails; redelivery changes nothing', async () => {
    const { inbox, registry } = inboxOf(batched)
    const events = Array.from({ length: 10 }, (_, n) => event('probe.one.v1', n, n === 4))
    const poison = events[4]!
    const outcomes = await inbox.deliver(events)
    expect(outcomes.map((o) => o.status)).toEqual(events.map((e) => (e === poison ? 'failed' : 'handled')))
    expect(outcomes[4]).toEqual({ status: 'failed', error: 'poison' })
    expect(await effects(events)).toEqual(events.map((e) => (e === poison ? 0 : 1)))
    // The batch; one by one up to the poison; the rest one by one, committed.
    expect(calls.map((c) => c.length)).toEqual([10, ...Array<number>(5).fill(1), ...Array<number>(9).fill(1)])
    expect(calls.at(5)).toEqual([poison.id])
    const metrics = await registry.metrics()
    expect(metrics).toContain('events_consumed_total{module="analytics",type="probe.one.v1"} 9')
    expect(metrics).toContain('events_failed_total{module="analytics",type="probe.one.v1"} 1')

    // Delivered again, all of it: the handled ones are duplicates, the poison is tried alone, once.
    calls = []
    const again = await inbox.deliver(events)
    expect(again.map((o) => o.status)).toEqual(events.map((e) => (e === poison ? 'failed' : 'duplicate')))
    expect(calls).toEqual([[poison.id]])
    expect(await effects(events)).toEqual(events.map((e) => (e === poison ? 0 : 1)))
  })

  test('that loses a race (a deadlock): the batch goes again at once, whole, and no event fails', async () => {
    let losses = 2
    const { inbox } = inboxOf(
      consume(contracts, {
        'probe.one.v1': {
          handleMany: async (tx, events) => {
            calls.push(events.map((e) => e.id))
            // Postgres's own deadlock error, as a replica's transaction gets it.
            if (losses-- > 0) await tx.sql`do $$ begin raise exception 'deadlock detected' using errcode = '40P01'; end $$`
            await tx.insert(pings).values(events.map((e) => ({ eventId: e.id, n: e.payload.n, replica: 'batch' })))
          },
        },
      }),
    )
    const events = Array.from({ length: 4 }, (_, n) => event('probe.one.v1', n))
    const outcomes = await inbox.deliver(events)
    expect(outcomes.every((o) => o.status === 'handled')).toBe(true)
    expect(calls.map((c) => c.length)).toEqual([4, 4, 4])
    expect(await effects(events)).toEqual([1, 1, 1, 1])
  })

  test('a redelivered batch is a duplicate: no handler runs, no effect twice', async () => {
    const { inbox } = inboxOf(batched)
    const events = Array.from({ length: 5 }, (_, n) => event('probe.one.v1', n))
    await inbox.deliver(events)
    calls = []
    // Twice over in one delivery too, as a replayed stream can hold an event twice.
    const outcomes = await inbox.deliver([...events, ...events])
    expect(outcomes.every((o) => o.status === 'duplicate')).toBe(true)
    expect(calls).toEqual([])
    expect(await effects(events)).toEqual([1, 1, 1, 1, 1])
  })
})
