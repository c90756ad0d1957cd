import { afterEach, describe, expect, test } from 'bun:test'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { resolve } from 'node:path'
import postgres from 'postgres'
import { PROBE_MIGRATIONS } from '../testing/fixtures/probe-module.ts'
import { testAdminUrl } from '../testing/databases.ts'
import { withDatabase } from './database.ts'
import { applyMigrations, MigrationJournalError, PLATFORM_MIGRATIONS, readJournal } from './migrate.ts'

const platformMigrations = readJournal(PLATFORM_MIGRATIONS).entries.length

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A database with nothing in it, as a replica finds on its very first start. */
async function emptyDatabase(): Promise<{ url: string; sql: postgres.Sql }> {
  const name = `test_migrate_${crypto.randomUUID().replaceAll('-', '').slice(0, 16)}`
  const admin = postgres(testAdminUrl(), { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database "${name}"`)
  const url = withDatabase(testAdminUrl(), name)
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  cleanups.push(async () => {
    await sql.end()
    await admin.unsafe(`drop database if exists "${name}" with (force)`)
    await admin.end()
  })
  return { url, sql }
}

/** A copy of the fixture migrations whose journal `edit` may spoil. */
function migrationsCopy(edit: (journal: { entries: { when: number; tag: string }[] }) => void): string {
  const folder = mkdtempSync(resolve(tmpdir(), 'ondes-migrations-'))
  cleanups.push(() => rmSync(folder, { recursive: true, force: true }))
  cpSync(PROBE_MIGRATIONS, folder, { recursive: true })
  const path = resolve(folder, 'meta/_journal.json')
  const journal = JSON.parse(readFileSync(path, 'utf8'))
  edit(journal)
  writeFileSync(path, JSON.stringify(journal))
  return folder
}

const tables = async (sql: postgres.Sql) =>
  (
    await sql<{ name: string }[]>`
      select table_schema || '.' || table_name as name from information_schema.tables
      where table_schema in ('public', 'drizzle') order by 1`
  ).map((row) => row.name)

const applied = async (sql: postgres.Sql) =>
  (await sql<{ hash: string }[]>`select hash from drizzle.__drizzle_migrations order by id`).map((row) => row.hash)

describe('journal check', () => {
  test('a journal whose `when` values increase is accepted', () => {
    expect(readJournal(PROBE_MIGRATIONS).entries.map((e) => e.tag)).toEqual(['0000_items', '0001_items_name_index'])
  })

  test.each([
    ['equal to', 0],
    ['before', -60_000],
  ])('an entry whose `when` is %s the previous one is refused before the database is touched', async (_, shift) => {
    const folder = migrationsCopy((journal) => {
      const [first, second] = journal.entries
      second!.when = first!.when + shift
    })
    expect(() => readJournal(folder)).toThrow(MigrationJournalError)
    expect(() => readJournal(folder)).toThrow(/0001_items_name_index/)

    const { url, sql } = await emptyDatabase()
    await expect(applyMigrations('users', url, folder)).rejects.toThrow(MigrationJournalError)
    expect(await tables(sql)).toEqual([])
  })
})

describe('applying', () => {
  test('applies every migration once and is a no-op the second time', async () => {
    const { url, sql } = await emptyDatabase()
    expect(await applyMigrations('users', url, PROBE_MIGRATIONS)).toBe(platformMigrations + 2)
    expect(await tables(sql)).toEqual(
      expect.arrayContaining([
        'drizzle.__drizzle_migrations',
        'drizzle.__platform_migrations',
        'public.dead_letters',
        'public.inbox',
        'public.items',
        'public.outbox',
      ]),
    )
    const first = await applied(sql)
    expect(first).toHaveLength(2)
    expect(await applyMigrations('users', url, PROBE_MIGRATIONS)).toBe(platformMigrations + 2)
    expect(await applied(sql)).toEqual(first)
  })

  test("the platform's migration runs first and takes over event tables a module's migrations made before it existed", async () => {
    const { url, sql } = await emptyDatabase()
    // As users' 0002 left them before the platform owned them, with an event still to relay.
    await sql.unsafe(`
      create table outbox (
        id bigint primary key generated always as identity, event_id uuid not null unique, type text not null,
        payload jsonb not null, occurred_at timestamptz default now() not null, published_at timestamptz,
        attempts integer default 0 not null, last_error text);
      create table inbox (event_id uuid not null, consumer text not null, handled_at timestamptz default now() not null,
        primary key (event_id, consumer));
      insert into outbox (event_id, type, payload) values (gen_random_uuid(), 'users.registered.v1', '{}');`)
    expect(await applyMigrations('users', url, PROBE_MIGRATIONS)).toBe(platformMigrations + 2)
    expect((await sql`select count(*)::int as n from outbox where published_at is null`)[0]!.n).toBe(1)
    expect(await sql`select hash from drizzle.__platform_migrations`).toHaveLength(platformMigrations)
    expect(await tables(sql)).toContain('public.dead_letters')
  })

  test('two processes starting together on a fresh database both succeed, each migration applied once', async () => {
    const { url, sql } = await emptyDatabase()
    const script = resolve(import.meta.dir, '../testing/fixtures/apply-migrations.ts')
    // The first migration sleeps 0.5 s, so the two runs overlap unless the lock serialises them.
    const replicas = [0, 1].map(() =>
      Bun.spawn([process.execPath, script, url, PROBE_MIGRATIONS], { stdout: 'pipe', stderr: 'pipe' }),
    )
    const results = await Promise.all(
      replicas.map(async (child) => ({
        code: await child.exited,
        stderr: await new Response(child.stderr).text(),
      })),
    )
    expect(results).toEqual([
      { code: 0, stderr: '' },
      { code: 0, stderr: '' },
    ])
    expect(await applied(sql)).toHaveLength(2)
    const [index] = await sql`select indexname from pg_indexes where tablename = 'items' and indexname = 'items_name_idx'`
    expect(index).toBeDefined()
  })
})
