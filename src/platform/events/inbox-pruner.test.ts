import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import pino from 'pino'
import postgres, { type Sql } from 'postgres'
import { createDatabaseFromTemplate } from '../testing/databases.ts'
import { createInboxPruner, pruneInbox } from './inbox-pruner.ts'
import { probeConsumer, waitFor } from './test-probe.ts'

let sql: Sql
let drop: () => Promise<void>
const log = pino({ level: 'silent' })

beforeAll(async () => {
  const probe = probeConsumer('pruner')
  const created = await createDatabaseFromTemplate(probe.name, probe.migrations)
  drop = created.drop
  sql = postgres(created.url, { max: 2, onnotice: () => {} })
})
afterAll(async () => {
  await sql.end()
  await drop()
})
beforeEach(async () => {
  await sql`delete from inbox`
})

/** Records `count` handled events of `consumer`, handled `hoursAgo` hours ago; returns their ids. */
async function handled(consumer: string, count: number, hoursAgo: number): Promise<string[]> {
  const rows = await sql<{ event_id: string }[]>`
    insert into inbox (event_id, consumer, handled_at)
    select gen_random_uuid(), ${consumer}, now() - make_interval(hours => ${hoursAgo}::int)
    from generate_series(1, ${count}::int)
    returning event_id::text`
  return rows.map((row) => row.event_id)
}

const remaining = async () =>
  (await sql<{ v: string }[]>`select consumer || ':' || event_id as v from inbox order by 1`).map((row) => row.v)

describe('inbox pruning', () => {
  test('deletes the consumer rows older than the retention, in batches, and nothing else', async () => {
    await handled('analytics', 25_000, 49)
    const recent = await handled('analytics', 3, 47)
    const otherConsumer = await handled('chat', 2, 100)
    expect(await pruneInbox(sql, 'analytics', 48)).toBe(25_000)
    expect(await remaining()).toEqual(
      [...recent.map((id) => `analytics:${id}`), ...otherConsumer.map((id) => `chat:${id}`)].sort(),
    )
    expect(await pruneInbox(sql, 'analytics', 48)).toBe(0)
  })

  test('the pruner prunes at start, then again every period, until stopped', async () => {
    await handled('analytics', 5, 10)
    const kept = await handled('analytics', 1, 1)
    const pruner = createInboxPruner({ module: 'analytics', sql, retentionHours: 2, log, everyMs: 50 })
    pruner.start()
    try {
      await waitFor('the first prune', async () => (await remaining()).length === 1)
      await handled('analytics', 4, 3)
      await waitFor('the next prune', async () => (await remaining()).length === 1)
      expect(await remaining()).toEqual([`analytics:${kept[0]}`])
    } finally {
      await pruner.stop()
    }
    await handled('analytics', 2, 3)
    await Bun.sleep(150)
    expect((await remaining()).length).toBe(3)
  })
})
