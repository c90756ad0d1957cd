import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { drizzle } from 'drizzle-orm/postgres-js'
import { migrate } from 'drizzle-orm/postgres-js/migrator'
import postgres from 'postgres'
import type { ModuleDatabase } from './database.ts'

type Journal = { entries: { idx: number; when: number; tag: string }[] }

export class MigrationJournalError extends Error {
  override name = 'MigrationJournalError'
}

/**
 * drizzle's migrator skips, without a word, an entry whose `when` is not after the last
 * applied one; so a journal whose `when` values do not strictly increase is refused.
 */
export function readJournal(folder: string): Journal {
  const journal = JSON.parse(readFileSync(resolve(folder, 'meta/_journal.json'), 'utf8')) as Journal
  journal.entries.forEach((entry, i) => {
    const previous = journal.entries[i - 1]
    if (previous && entry.when <= previous.when) {
      throw new MigrationJournalError(
        `${folder}: migration ${entry.tag} has when=${entry.when}, not after ${previous.tag} (when=${previous.when}); drizzle would skip it`,
      )
    }
  })
  return journal
}

/** Advisory-lock key per module, so replicas of one module starting together take turns. */
const lockKey = (module: string) => `ondes:migrate:${module}`

/**
 * The platform's own migrations (outbox, inbox, dead letters, `set_updated_at`), applied in every
 * module database before the module's, recorded in a table of their own.
 */
export const PLATFORM_MIGRATIONS = resolve(import.meta.dir, '../migrations')
const PLATFORM_MIGRATIONS_TABLE = '__platform_migrations'

/**
 * Applies the platform's migrations, then the module's, under one Postgres advisory lock;
 * returns how many the two journals hold. One dedicated connection carries both the session lock
 * and drizzle's migration transactions, so it works whatever the module's pool size.
 */
export async function applyMigrations(module: string, url: string, folder: string): Promise<number> {
  const platform = readJournal(PLATFORM_MIGRATIONS)
  const journal = readJournal(folder)
  const sql = postgres(url, { max: 1, onnotice: () => {}, connection: { application_name: `ondes-${module}-migrate` } })
  try {
    await sql`select pg_advisory_lock(hashtext(${lockKey(module)}))`
    await migrate(drizzle(sql), { migrationsFolder: PLATFORM_MIGRATIONS, migrationsTable: PLATFORM_MIGRATIONS_TABLE })
    await migrate(drizzle(sql), { migrationsFolder: folder })
    await sql`select pg_advisory_unlock(hashtext(${lockKey(module)}))`
  } finally {
    // Ending the connection releases the lock too, should the migration have failed.
    await sql.end()
  }
  return platform.entries.length + journal.entries.length
}

/** How many of the platform's and the module's migrations the database records as applied. */
export async function appliedMigrations(database: ModuleDatabase): Promise<number> {
  const [row] = await database.sql<{ count: number }[]>`
    select (select count(*) from drizzle.__platform_migrations)::int
         + (select count(*) from drizzle.__drizzle_migrations)::int as count`.catch((error: { code?: string }) => {
    // No migrations table yet means none applied; anything else (a database down) is the caller's to report.
    if (error.code === '42P01' || error.code === '3F000') return [{ count: 0 }]
    throw error
  })
  return row?.count ?? 0
}
