/**
 * The module pools' use on /metrics: `db_pool_connections{state="in_use"|"idle"}`,
 * `db_pool_connections_waiting` and `db_pool_connections_max`, per module, against this
 * machine's Postgres with statements held open by pg_sleep.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createModuleDatabase, type ModuleDatabase } from '../../src/platform/db/database.ts'
import { createMetrics, type Metrics } from '../../src/platform/metrics.ts'
import { createDatabaseFromTemplate } from '../../src/platform/testing/databases.ts'
import { probeModule } from '../../src/platform/testing/fixtures/probe-module.ts'
import { createTestPlatform } from '../../src/platform/testing/harness.ts'

let metrics: Metrics
let database: ModuleDatabase
let drop: () => Promise<void>
beforeAll(async () => {
  const created = await createDatabaseFromTemplate(probeModule.name, probeModule.migrations)
  drop = created.drop
  metrics = createMetrics()
  database = createModuleDatabase({ module: 'probe', url: created.url, poolMax: 2, queryDuration: metrics.queryDuration, pools: metrics.pools })
})
afterAll(async () => {
  await database.close()
  await drop()
})

async function pool(): Promise<Record<string, number>> {
  const text = await metrics.registry.metrics()
  const read = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? Number.NaN)
  return {
    inUse: read(/^db_pool_connections\{module="probe",state="in_use"\} (\S+)$/m),
    idle: read(/^db_pool_connections\{module="probe",state="idle"\} (\S+)$/m),
    waiting: read(/^db_pool_connections_waiting\{module="probe"\} (\S+)$/m),
    max: read(/^db_pool_connections_max\{module="probe"\} (\S+)$/m),
  }
}

/** Until `check` passes (postgres.js sends a statement a tick after it is awaited). */
async function eventually(check: () => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await check()
    } catch (error) {
      if (attempt > 50) throw error
      await Bun.sleep(10)
    }
  }
}

describe('pool metrics', () => {
  test('an unused pool has nothing in use, idle or waiting, and says its size', async () => {
    expect(await pool()).toEqual({ inUse: 0, idle: 0, waiting: 0, max: 2 })
  })

  test('four slow statements on a pool of two: two in use, two waiting; then two idle', async () => {
    const sleeps = Array.from({ length: 4 }, () => database.sql`select pg_sleep(0.3)`.then(() => 'done'))
    await eventually(async () => expect(await pool()).toEqual({ inUse: 2, idle: 0, waiting: 2, max: 2 }))
    expect(await Promise.all(sleeps)).toEqual(['done', 'done', 'done', 'done'])
    expect(await pool()).toEqual({ inUse: 0, idle: 2, waiting: 0, max: 2 })
  })

  test('a transaction holds one connection however many statements it runs; a failed statement frees its own', async () => {
    let release = () => {}
    const held = new Promise<void>((resolve) => (release = resolve))
    const transaction = database.transaction(async (tx) => {
      await tx.sql`select 1`
      await tx.sql`select 2`
      await held
    })
    await eventually(async () => expect(await pool()).toMatchObject({ inUse: 1, idle: 1, waiting: 0 }))
    await expect(database.sql`select * from no_such_table`).rejects.toThrow()
    expect(await pool()).toMatchObject({ inUse: 1, idle: 1, waiting: 0 })
    release()
    await transaction
    expect(await pool()).toMatchObject({ inUse: 0, idle: 2, waiting: 0 })
  })

  test('drizzle statements count too', async () => {
    const statement = database.db.execute('select pg_sleep(0.2)').then(() => 'done')
    await eventually(async () => expect(await pool()).toMatchObject({ inUse: 1, waiting: 0 }))
    expect(await statement).toBe('done')
    expect(await pool()).toMatchObject({ inUse: 0 })
  })

  test('the platform serves them for each module it runs, labelled by module', async () => {
    const t = await createTestPlatform([probeModule], { DB_POOL_MAX: '3' })
    try {
      const text = await (await t.request('/metrics')).text()
      expect(text).toMatch(/^db_pool_connections\{module="probe",state="in_use"\} 0$/m)
      expect(text).toMatch(/^db_pool_connections_max\{module="probe"\} 3$/m)
    } finally {
      await t.close()
    }
  })
})
