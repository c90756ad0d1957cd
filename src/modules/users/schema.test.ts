import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { tablesWithoutUpdatedAtTrigger, unindexedForeignKeys } from '../../platform/testing/catalog.ts'
import { createTestPlatform, type TestPlatform } from '../../platform/testing/harness.ts'
import { users } from './index.ts'

let t: TestPlatform
beforeAll(async () => {
  t = await createTestPlatform([users])
})
afterAll(() => t.close())

describe('users database', () => {
  test('has the seed tables', async () => {
    const rows = await t.sql.users!`select table_name from information_schema.tables where table_schema = 'public'`
    const tables = rows.map((r) => r.table_name)
    for (const table of ['users', 'followers', 'user_roles', 'user_settings', 'sessions', 'refresh_tokens']) {
      expect(tables).toContain(table)
    }
  })

  test('indexes every foreign key (checked against the catalog)', async () => {
    expect(await unindexedForeignKeys(t.sql.users!)).toEqual([])
  })

  test('the index check itself finds an unindexed foreign key', async () => {
    await t.sql.users!`create table scratch_fk (id int primary key, user_id bigint references users(id))`
    try {
      expect(await unindexedForeignKeys(t.sql.users!)).toEqual(['scratch_fk.scratch_fk_user_id_fkey'])
    } finally {
      await t.sql.users!`drop table scratch_fk`
    }
  })

  test('keeps updated_at by trigger on every table that has one', async () => {
    expect(await tablesWithoutUpdatedAtTrigger(t.sql.users!)).toEqual([])
    const [user] = await t.sql.users!`insert into users (login, display_name, email, password_hash) values ('trigger_user', 't', 't@x.test', 'x') returning id, updated_at`
    await Bun.sleep(5)
    const [after] = await t.sql.users!`update users set description = 'changed' where id = ${user!.id} returning updated_at`
    expect((after!.updated_at as Date).getTime()).toBeGreaterThan((user!.updated_at as Date).getTime())
  })
})
