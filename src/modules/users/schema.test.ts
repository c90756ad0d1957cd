import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { resolve } from 'node:path'
import postgres from 'postgres'
import { withDatabase } from '../../platform/db/database.ts'
import { applyMigrations } from '../../platform/db/migrate.ts'
import { tablesWithoutUpdatedAtTrigger, unindexedForeignKeys } from '../../platform/testing/catalog.ts'
import { testAdminUrl } from '../../platform/testing/databases.ts'
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

describe('migration 0004_broadcaster_type', () => {
  test('marks as partners the users who held the role before it, and only them', async () => {
    const name = `test_users_0004_${crypto.randomUUID().replaceAll('-', '').slice(0, 16)}`
    const admin = postgres(testAdminUrl(), { max: 1, onnotice: () => {} })
    const sql = postgres(withDatabase(testAdminUrl(), name), { max: 1, onnotice: () => {} })
    // The journal as it was before 0004.
    const before = mkdtempSync(resolve(tmpdir(), 'ondes-users-migrations-'))
    try {
      await admin.unsafe(`create database "${name}"`)
      cpSync(users.migrations, before, { recursive: true })
      const journalPath = resolve(before, 'meta/_journal.json')
      const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] }
      journal.entries = journal.entries.filter((entry) => entry.tag < '0004')
      writeFileSync(journalPath, JSON.stringify(journal))
      await applyMigrations('users', withDatabase(testAdminUrl(), name), before)

      const rows = await sql`
        insert into users (login, display_name, email, password_hash)
        values ('old_partner', 'p', 'p@x.test', 'x'), ('old_staff', 's', 's@x.test', 'x'), ('old_viewer', 'v', 'v@x.test', 'x')
        returning id, login`
      const id = Object.fromEntries(rows.map((row) => [row.login as string, row.id as string]))
      await sql`insert into user_roles (user_id, role) values (${id.old_partner!}, 'partner'), (${id.old_staff!}, 'staff')`

      await applyMigrations('users', withDatabase(testAdminUrl(), name), users.migrations)
      const after = await sql`select login, broadcaster_type from users order by login`
      expect(after.map((row) => [row.login, row.broadcaster_type])).toEqual([
        ['old_partner', 'partner'],
        ['old_staff', ''],
        ['old_viewer', ''],
      ])
      await expect(sql`update users set broadcaster_type = 'emperor' where login = 'old_viewer'`).rejects.toThrow(/users_broadcaster_type/)
    } finally {
      await sql.end()
      await admin.unsafe(`drop database if exists "${name}" with (force)`)
      await admin.end()
      rmSync(before, { recursive: true, force: true })
    }
  })
})
