/**
 * `bun run db:check`: each module database (as `bun start` is configured: the `*_DATABASE_URL`
 * variables, or the embedded default) has the platform's and its module's migrations applied,
 * none the code does not know, and the tables and columns of the module's latest drizzle
 * snapshot (nullability included). Prints a table; exits 1 when any database falls short.
 * The seed's `test-databases.sh`, checked against the code instead of by hand.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import postgres, { type Sql } from 'postgres'
import { modules } from '../src/modules.ts'
import { ConfigError, loadConfig } from '../src/platform/config.ts'
import { withEmbeddedDatabases } from '../src/platform/db/embedded-postgres.ts'
import { PLATFORM_MIGRATIONS, readJournal } from '../src/platform/db/migrate.ts'
import { table } from './report-table.ts'

type Snapshot = { tables: Record<string, { name: string; schema: string; columns: Record<string, { name: string; notNull: boolean }> }> }

/** Journal entries (by their `when`, which drizzle records as `created_at`) not applied, and applied ones the journal lacks. */
async function migrationGaps(sql: Sql, table: string, folder: string): Promise<string[]> {
  const journal = readJournal(folder).entries
  const applied = await sql<{ when: string }[]>`select created_at::text as when from ${sql('drizzle')}.${sql(table)}`.catch(
    (error: { code?: string }) => {
      if (error.code === '42P01' || error.code === '3F000') return []
      throw error
    },
  )
  const done = new Set(applied.map((row) => row.when))
  const known = new Set(journal.map((entry) => String(entry.when)))
  return [
    ...journal.filter((entry) => !done.has(String(entry.when))).map((entry) => `${entry.tag} not applied`),
    ...[...done].filter((when) => !known.has(when)).map((when) => `unknown migration of ${new Date(Number(when)).toISOString()} applied`),
  ]
}

/** The module's latest drizzle snapshot: the tables and columns its code expects. */
function latestSnapshot(folder: string): Snapshot | undefined {
  const file = readdirSync(resolve(folder, 'meta'))
    .filter((f) => f.endsWith('_snapshot.json'))
    .sort()
    .at(-1)
  return file ? (JSON.parse(readFileSync(resolve(folder, 'meta', file), 'utf8')) as Snapshot) : undefined
}

/** Tables and columns of the snapshot missing from the database, or nullable where it wants them not null. */
async function schemaGaps(sql: Sql, folder: string): Promise<string[]> {
  const snapshot = latestSnapshot(folder)
  if (!snapshot) return []
  const rows = await sql<{ table_schema: string; table_name: string; column_name: string; is_nullable: string }[]>`
    select table_schema, table_name, column_name, is_nullable from information_schema.columns`
  const present = new Map(rows.map((r) => [`${r.table_schema}.${r.table_name}.${r.column_name}`, r.is_nullable === 'NO']))
  const tables = new Set(rows.map((r) => `${r.table_schema}.${r.table_name}`))
  return Object.values(snapshot.tables).flatMap((t) => {
    const name = `${t.schema || 'public'}.${t.name}`
    if (!tables.has(name)) return [`table ${name} missing`]
    return Object.values(t.columns).flatMap((c) => {
      const notNull = present.get(`${name}.${c.name}`)
      if (notNull === undefined) return [`column ${name}.${c.name} missing`]
      return c.notNull && !notNull ? [`column ${name}.${c.name} nullable`] : []
    })
  })
}

async function check(module: string, url: string, folder: string): Promise<string[]> {
  const where = new URL(url)
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5, connection: { application_name: 'ondes-db-check' } })
  try {
    const migrations = [
      ...(await migrationGaps(sql, '__platform_migrations', PLATFORM_MIGRATIONS)).map((gap) => `platform ${gap}`),
      ...(await migrationGaps(sql, '__drizzle_migrations', folder)),
    ]
    const total = readJournal(PLATFORM_MIGRATIONS).entries.length + readJournal(folder).entries.length
    const schema = await schemaGaps(sql, folder)
    const problems = [...migrations, ...schema]
    return [
      module,
      `${where.hostname}:${where.port || 5432}${where.pathname}`,
      migrations.length === 0 ? `${total}/${total} applied` : migrations.join('; '),
      schema.length === 0 ? 'matches' : schema.join('; '),
      problems.length === 0 ? 'ok' : 'FAIL',
    ]
  } catch (error) {
    return [module, `${where.hostname}:${where.port || 5432}${where.pathname}`, '-', '-', `DOWN: ${(error as Error).message}`]
  } finally {
    await sql.end({ timeout: 1 })
  }
}

let exitCode = 0
try {
  const loaded = loadConfig()
  const shipped = modules.filter((m) => loaded.modules.includes(m.name))
  const { config, embedded } = await withEmbeddedDatabases({ ...loaded, modules: shipped.map((m) => m.name) })
  try {
    const rows = await Promise.all(shipped.map((m) => check(m.name, config.databaseUrls[m.name] ?? '', m.migrations)))
    console.log(table(['module', 'database', 'migrations', 'schema', 'status'], rows))
    if (rows.some((row) => row.at(-1) !== 'ok')) exitCode = 1
  } finally {
    if (embedded && !embedded.adopted) await embedded.stop()
  }
} catch (error) {
  console.error(error instanceof ConfigError ? `db:check: configuration error: ${error.message}` : error)
  exitCode = 1
}
process.exit(exitCode)
