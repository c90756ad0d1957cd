import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq, sql as drizzleSql } from 'drizzle-orm'
import { bigint, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core'
import { PROBE_MIGRATIONS } from '../testing/fixtures/probe-module.ts'
import { openModuleDatabase } from '../testing/module-database.ts'
import type { ModuleDatabase } from './database.ts'
import { parseArray } from './parsing.ts'

/** A table with each kind of column whose parsing drizzle changes on the pool. */
const moments = pgTable('moments', {
  name: text('name').primaryKey(),
  at: timestamp('at', { withTimezone: true }).notNull(),
  exact: timestamp('exact', { withTimezone: true, mode: 'string' }),
  local: timestamp('local'),
  data: jsonb('data').$type<{ n: number }>(),
  big: bigint('big', { mode: 'bigint' }),
})

let database: ModuleDatabase
let close: () => Promise<void>
beforeAll(async () => {
  ;({ database, close } = await openModuleDatabase({ name: 'parsing', migrations: PROBE_MIGRATIONS }))
  await database.sql`
    create table moments (name text primary key, at timestamptz not null, exact timestamptz, local timestamp, data jsonb, big int8)`
})
afterAll(() => close())

describe('the raw client parses as plain postgres.js, drizzle over the same pool or not', () => {
  test('a timestamp comes back as a Date, a Date parameter binds, int8 comes back as an exact string', async () => {
    const when = new Date('2026-03-04T05:06:07.891Z')
    const [row] = await database.sql<{ now: Date; echoed: Date; day: Date; big: string; count: string }[]>`
      select now(), ${when}::timestamptz as echoed, date '2026-03-04' as day,
             9007199254740993::int8 as big, count(*) as count from generate_series(1, 3)`
    expect(row!.now).toBeInstanceOf(Date)
    expect(row!.echoed).toEqual(when)
    expect(row!.day).toEqual(new Date('2026-03-04'))
    expect(row!.big).toBe('9007199254740993')
    expect(row!.count).toBe('3')
  })

  test('arrays of timestamps, `.values()` rows, unsafe and multi-statement queries are parsed too', async () => {
    const when = new Date('2026-03-04T05:06:07.891Z')
    const [[times]] = (await database.sql`select array[${when}::timestamptz, null] as times`.values()) as unknown as [[Date[]]]
    expect(times).toEqual([when, null] as unknown as Date[])
    const [viaUnsafe] = await database.sql.unsafe<{ at: Date }[]>('select $1::timestamptz as at', [when])
    expect(viaUnsafe!.at).toEqual(when)
    const results = (await database.sql.unsafe('select now() as a; select now() as b').simple()) as unknown as { a?: Date; b?: Date }[][]
    expect(results[1]![0]!.b).toBeInstanceOf(Date)
  })

  test('json parameters take objects, and strings as JSON text', async () => {
    await database.sql`insert into moments (name, at, data) values ('json-object', now(), ${{ n: 1 } as never})`
    await database.sql`insert into moments (name, at, data) values ('json-text', now(), ${'{"n":2}'})`
    const rows = await database.db.select({ data: moments.data }).from(moments).where(drizzleSql`${moments.name} like 'json-%'`)
    expect(rows.map((r) => r.data).sort((a, b) => a!.n - b!.n)).toEqual([{ n: 1 }, { n: 2 }])
  })

  test("in sql.begin, its savepoints and database.transaction's tx.sql as well", async () => {
    const parsed = await database.sql.begin(async (tx) => {
      const [outer] = await tx<{ now: Date }[]>`select now()`
      const inner = await tx.savepoint(async (sp) => (await sp<{ now: Date }[]>`select now()`)[0]!.now)
      return [outer!.now, inner]
    })
    expect(parsed.every((value) => value instanceof Date)).toBe(true)
    const inTransaction = await database.transaction(async (tx) => (await tx.sql<{ now: Date }[]>`select now()`)[0]!.now)
    expect(inTransaction).toBeInstanceOf(Date)
  })
})

describe("drizzle keeps its own mapping on the pool the raw client shares", () => {
  test('dates, microsecond strings, UTC local timestamps, jsonb and bigint round-trip exactly', async () => {
    const at = new Date('2026-01-02T03:04:05.678Z')
    await database.db.insert(moments).values({
      name: 'drizzle',
      at,
      exact: '2026-01-02 03:04:05.678912+00',
      local: at,
      data: { n: 3 },
      big: 9007199254740993n,
    })
    const [row] = await database.db.select().from(moments).where(eq(moments.name, 'drizzle'))
    expect(row).toEqual({
      name: 'drizzle',
      at,
      exact: '2026-01-02 03:04:05.678912+00',
      local: at,
      data: { n: 3 },
      big: 9007199254740993n,
    })
    // The raw client reads the row drizzle wrote as postgres.js reads it.
    const [raw] = await database.sql<{ at: Date; data: { n: number } }[]>`select at, data from moments where name = 'drizzle'`
    expect(raw).toEqual({ at, data: { n: 3 } })
  })
})

describe('database.transaction: drizzle and raw postgres.js on one connection', () => {
  test('both see one backend and one snapshot, and a throw rolls back what each wrote', async () => {
    const pids = await database.transaction(async (tx) => {
      const [viaDrizzle] = await tx.execute<{ pid: number }>(drizzleSql`select pg_backend_pid() as pid`)
      const [viaRaw] = await tx.sql<{ pid: number }[]>`select pg_backend_pid() as pid`
      await tx.insert(moments).values({ name: 'seen', at: new Date() })
      const [seen] = await tx.sql`select name from moments where name = 'seen'`
      expect(seen).toBeDefined()
      return [viaDrizzle!.pid, viaRaw!.pid]
    })
    expect(pids[0]).toBe(pids[1]!)

    const failed = database.transaction(async (tx) => {
      await tx.insert(moments).values({ name: 'rolled-back-drizzle', at: new Date() })
      await tx.sql`insert into moments (name, at) values ('rolled-back-raw', ${new Date()})`
      throw new Error('undo')
    })
    await expect(failed).rejects.toThrow('undo')
    expect(await database.sql`select name from moments where name like 'rolled-back-%'`).toHaveLength(0)
  })
})

describe('parseArray', () => {
  test('reads quoted, escaped, NULL and nested elements as Postgres writes them', () => {
    expect(parseArray('{a,"b c","d\\"e",NULL,"NULL"}', String)).toEqual(['a', 'b c', 'd"e', null, 'NULL'])
    expect(parseArray('{{1,2},{3,NULL}}', Number)).toEqual([[1, 2], [3, null]])
    expect(parseArray('[0:1]={x,y}', String)).toEqual(['x', 'y'])
    expect(parseArray('{}', String)).toEqual([])
  })
})
