import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import pino from 'pino'
import postgres from 'postgres'
import { Registry } from 'prom-client'
import type { ModuleDatabase } from '../db/database.ts'
import { openModuleDatabase } from '../testing/module-database.ts'
import { createEventMetrics } from './metrics.ts'
import { OUTBOX_CHANNEL, statementPublisher } from './publish.ts'
import { createRelay } from './relay.ts'
import { pingFrom, probeEvents, probeProducer, PROBE_TYPE, waitFor } from './test-probe.ts'
import type { EventEnvelope } from './types.ts'

let database: ModuleDatabase
let close: () => Promise<void>
const log = pino({ level: 'silent' })
const metrics = () => createEventMetrics(new Registry(), { outboxes: async () => [], lag: async () => [] })

beforeAll(async () => {
  ;({ database, close } = await openModuleDatabase(probeProducer, 4))
})
afterAll(() => close())

const unpublished = async () =>
  Number((await database.sql`select count(*)::int as n from outbox where published_at is null`)[0]!.n)

describe('outbox relay', () => {
  test('two relays on one outbox publish every event exactly once between them', async () => {
    const payloads = Array.from({ length: 2000 }, (_, n) => ({ n }))
    const ids = await pingFrom(database.sql, ...payloads)
    const seen: string[][] = [[], []]
    const relays = seen.map((into) =>
      createRelay({
        module: 'streams',
        sql: database.sql,
        // A slow hand-over keeps each claimed batch locked a while, so the relays contend.
        transport: {
          publish: async (events) => {
            into.push(...events.map((e) => e.id))
            await Bun.sleep(2)
          },
        },
        metrics: metrics(),
        log,
        batchSize: 50,
      }),
    )
    await Promise.all(relays.map((relay) => relay.start()))
    try {
      await waitFor('an empty outbox', async () => (await unpublished()) === 0)
    } finally {
      await Promise.all(relays.map((relay) => relay.stop()))
    }
    const all = seen.flat()
    expect(all.length).toBe(ids.length)
    expect(new Set(all)).toEqual(new Set(ids))
    expect(seen[0]!.length).toBeGreaterThan(0)
    expect(seen[1]!.length).toBeGreaterThan(0)
  })

  test('NOTIFY wakes it at once and a full batch runs the next at once: nothing waits for the poll', async () => {
    const received: string[] = []
    const relay = createRelay({
      module: 'streams',
      sql: database.sql,
      transport: { publish: async (events) => void received.push(...events.map((e) => e.id)) },
      metrics: metrics(),
      log,
      batchSize: 10,
      // Far longer than the test may take: only the wake-ups can publish in time.
      pollMs: 60_000,
    })
    await relay.start()
    try {
      await waitFor('the first, empty run', async () => relay.state() === 'ok')
      const one = await pingFrom(database.sql, { n: 1 })
      await waitFor('the notified event', async () => received.includes(one[0]!), 2000)
      const many = await pingFrom(database.sql, ...Array.from({ length: 35 }, (_, n) => ({ n })))
      await waitFor('four batches of ten', async () => many.every((id) => received.includes(id)), 2000)
    } finally {
      await relay.stop()
    }
  })

  test("a statement's event wakes this process's relay without a NOTIFY, or NOTIFYs when none runs here", async () => {
    const events = statementPublisher(probeEvents)
    const written = async (n: number) => {
      await database.sql`with announced as (${events.outbox(database.sql, PROBE_TYPE, database.sql`select json_build_object('n', ${n}::int) as payload`)})
        select 1`
      events.committed(database.sql)
      const [row] = await database.sql<{ event_id: string }[]>`select event_id from outbox where payload->>'n' = ${String(n)}`
      return row!.event_id
    }
    const received: string[] = []
    const relay = (sql: typeof database.sql) =>
      createRelay({
        module: 'streams',
        sql,
        transport: { publish: async (batch) => void received.push(...batch.map((e) => e.id)) },
        metrics: metrics(),
        log,
        pollMs: 60_000,
      })
    // Another client of the same database, as in another process, counts the NOTIFYs.
    const { host, port, database: name, user, pass } = database.sql.options
    const other = postgres({ host: host[0], port: port[0], database: name, user, pass: pass ?? undefined, max: 2, onnotice: () => {} })
    let notified = 0
    const listening = await other.listen(OUTBOX_CHANNEL, () => notified++)
    // Here: the relay of this very client, woken with no NOTIFY.
    const here = relay(database.sql)
    await here.start()
    try {
      await waitFor('the first, empty run', async () => here.state() === 'ok')
      const id = await written(7001)
      await waitFor('the woken relay', async () => received.includes(id), 2000)
    } finally {
      await here.stop()
    }
    expect(notified).toBe(0)
    // Elsewhere: with no relay of this client here, one on the other client learns of it by NOTIFY.
    const elsewhere = relay(other)
    await elsewhere.start()
    try {
      await waitFor('the first, empty run', async () => elsewhere.state() === 'ok')
      const id = await written(7002)
      await waitFor('the notified relay', async () => received.includes(id), 2000)
    } finally {
      await elsewhere.stop()
      await listening.unlisten()
      await other.end()
    }
    expect(notified).toBeGreaterThan(0)
  })

  test('while the transport is down events wait in the outbox, then go out in order once it is back', async () => {
    let up = false
    const received: EventEnvelope[] = []
    const relay = createRelay({
      module: 'streams',
      sql: database.sql,
      transport: {
        publish: async (events) => {
          if (!up) throw new Error('transport down')
          received.push(...events)
        },
      },
      metrics: metrics(),
      log,
    })
    await relay.start()
    try {
      const ids = await pingFrom(database.sql, { n: 1 }, { n: 2 })
      await waitFor('a failed attempt', async () => {
        const [row] = await database.sql`select min(attempts)::int as attempts, min(last_error) as error from outbox where published_at is null`
        return (row?.attempts ?? 0) >= 1 && row?.error === 'Error: transport down'
      })
      expect(await unpublished()).toBe(2)
      up = true
      await waitFor('the backlog to drain', async () => (await unpublished()) === 0)
      expect(received.map((e) => e.id)).toEqual(ids)
      expect(received[0]).toMatchObject({ type: 'probe.pinged.v1', payload: { n: 1 } })
      expect(received[0]!.occurredAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)
    } finally {
      await relay.stop()
    }
  })
})
