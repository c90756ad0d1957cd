/**
 * The buckets' array parameters are literals built here rather than by postgres.js: Postgres must
 * read back exactly the values sent, whatever characters a (contract-checked, still untrusted) id
 * carries, through the module's own client.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import { openModuleDatabase } from '../../platform/testing/module-database.ts'
import { arrayLiteral } from './buckets.ts'
import { analytics } from './index.ts'

let database: ModuleDatabase
let close: () => Promise<void>

beforeAll(async () => {
  ;({ database, close } = await openModuleDatabase(analytics))
})
afterAll(() => close())

test('text with quotes, backslashes, commas, braces, spaces and NULL comes back as sent', async () => {
  const values = ['plain', 'a"b', 'back\\slash', '\\"', 'x,y', '{z}', ' padded ', 'NULL', '', 'é']
  const [row] = await database.sql<{ v: string[] }[]>`select ${arrayLiteral(values)}::text[] as v`
  expect(row!.v).toEqual(values)
})

test('numbers, ids and times read as their types, in order', async () => {
  const [row] = await database.sql<{ ints: number[]; ids: string[]; times: Date[] }[]>`
    select ${arrayLiteral([3, 0, -7])}::int[] as ints, ${arrayLiteral(['9007199254740993', '1'])}::bigint[] as ids,
      ${arrayLiteral(['2026-11-01T00:01:00.000Z'])}::timestamptz[] as times`
  expect(row!.ints).toEqual([3, 0, -7])
  expect(row!.ids.map(String)).toEqual(['9007199254740993', '1'])
  expect(row!.times.map((t) => new Date(t).toISOString())).toEqual(['2026-11-01T00:01:00.000Z'])
})

test('an empty list is an empty array, and an id that is no number is refused by Postgres', async () => {
  const [row] = await database.sql<{ n: number }[]>`select cardinality(${arrayLiteral([])}::bigint[]) as n`
  expect(row!.n).toBe(0)
  await expect(database.sql`select ${arrayLiteral(['1", "2'])}::bigint[]`).rejects.toThrow()
})
