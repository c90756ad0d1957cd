/**
 * The steps of adding a module (README "Adding a module"), checked for every entry of
 * src/modules.ts against its real migrated database, the committed gateway config and the
 * contracts, so a skipped step fails here with what to do. A planted unfinished module shows
 * that each check can fail.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import postgres from 'postgres'
import { z } from 'zod'
import { GATEWAY_CONFIG_PATH, renderGatewayConfig } from '../scripts/gateway-config.ts'
import { modules } from '../src/modules.ts'
import { MODULE_NAMES } from '../src/platform/config.ts'
import { PLATFORM_MIGRATIONS, readJournal } from '../src/platform/db/migrate.ts'
import type { ModuleDefinition } from '../src/platform/module.ts'
import { tablesWithoutUpdatedAtTrigger, unindexedForeignKeys } from '../src/platform/testing/catalog.ts'
import { createDatabaseFromTemplate } from '../src/platform/testing/databases.ts'

const cleanups: (() => Promise<void>)[] = []
// Dropping every module's database takes more than the default 5 s on a loaded machine.
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
}, 30_000)

/** The platform's tables every module database must hold (src/platform/migrations). */
const PLATFORM_TABLES = ['outbox', 'inbox', 'dead_letters']

/** What is wrong with `definition`'s database, after its migrations ran as the platform runs them. */
async function databaseProblems(definition: ModuleDefinition): Promise<string[]> {
  const problems: string[] = []
  try {
    readJournal(definition.migrations)
  } catch (error) {
    return [`${definition.name}: ${(error as Error).message}`]
  }
  const created = await createDatabaseFromTemplate(definition.name, definition.migrations)
  const sql = postgres(created.url, { max: 1, onnotice: () => {} })
  cleanups.push(async () => {
    await sql.end()
    await created.drop()
  })
  for (const fk of await unindexedForeignKeys(sql)) {
    problems.push(`${definition.name}: foreign key ${fk} has no index leading with its columns (add one in schema.ts, then bun run db:generate)`)
  }
  for (const table of await tablesWithoutUpdatedAtTrigger(sql)) {
    problems.push(`${definition.name}: ${table}.updated_at has no trigger (a custom migration: CREATE TRIGGER … EXECUTE FUNCTION set_updated_at())`)
  }
  const present = new Set(
    (await sql<{ name: string }[]>`select table_name as name from information_schema.tables where table_schema = 'public'`).map((r) => r.name),
  )
  for (const table of PLATFORM_TABLES.filter((t) => !present.has(t))) {
    problems.push(`${definition.name}: the platform's ${table} table is missing (a module migration must not create or drop it)`)
  }
  const [applied] = await sql<{ n: number }[]>`select count(*)::int as n from drizzle.__platform_migrations`
  const expected = readJournal(PLATFORM_MIGRATIONS).entries.length
  if (applied?.n !== expected) problems.push(`${definition.name}: ${applied?.n ?? 0} of ${expected} platform migrations applied`)
  return problems
}

/** What the committed gateway config lacks for `definition`. */
function gatewayProblems(definition: ModuleDefinition, committed: string): string[] {
  const routes = [
    ...definition.prefixes.map((prefix) => ({ path: prefix, location: `location ^~ ${prefix}/ {` })),
    ...(definition.websocket ? [{ path: definition.websocket, location: definition.websocket }] : []),
  ]
  return routes
    .filter(({ location }) => !committed.includes(location))
    .map(({ path }) => `${definition.name}: ${path} is not routed by deploy/nginx/gateway.conf (bun run gateway:config)`)
}

/** What is wrong with `definition`'s events: contracts of its own, consumed types someone produces. */
async function contractProblems(definition: ModuleDefinition, all: ModuleDefinition[]): Promise<string[]> {
  const problems: string[] = []
  const produced = Object.entries(definition.produces ?? {})
  if (produced.length > 0) {
    const file = resolve(import.meta.dir, `../src/contracts/${definition.name}.ts`)
    const schemas = new Set<unknown>()
    if (existsSync(file)) {
      for (const exported of Object.values(await import(file))) {
        if (exported && typeof exported === 'object') for (const value of Object.values(exported)) schemas.add(value)
      }
    } else {
      problems.push(`${definition.name}: produces events but src/contracts/${definition.name}.ts does not exist`)
    }
    for (const [type, schema] of produced) {
      if (!(schema instanceof z.ZodType) || !schemas.has(schema)) {
        problems.push(`${definition.name}: produces ${type}, which is not a zod schema exported from src/contracts/${definition.name}.ts`)
      }
      if (!type.startsWith(`${definition.name}.`)) problems.push(`${definition.name}: produces ${type}, not named <module>.<event>.v<n>`)
    }
  }
  for (const [type, consumed] of Object.entries(definition.consumes ?? {})) {
    const producer = all.find((m) => m.produces?.[type])
    if (!producer) problems.push(`${definition.name}: consumes ${type}, which no module in src/modules.ts produces`)
    else if (producer.produces![type] !== consumed.schema) {
      problems.push(`${definition.name}: consumes ${type} with a schema other than ${producer.name}'s contract`)
    }
  }
  return problems
}

async function problemsOf(definition: ModuleDefinition, all: ModuleDefinition[]): Promise<string[]> {
  const committed = readFileSync(GATEWAY_CONFIG_PATH, 'utf8')
  return [
    ...(MODULE_NAMES as readonly string[]).includes(definition.name) ? [] : [`${definition.name}: not one of MODULE_NAMES (src/platform/config.ts)`],
    ...(await databaseProblems(definition)),
    ...gatewayProblems(definition, committed),
    ...(await contractProblems(definition, all)),
  ]
}

describe('every module of src/modules.ts', () => {
  test('is there at all', () => {
    expect(modules.length).toBeGreaterThan(0)
  })

  test.each(modules.map((m) => [m.name, m] as const))('%s: indexes, triggers, event tables, gateway routes and contracts', async (_, definition) => {
    expect(await problemsOf(definition, modules)).toEqual([])
  }, 30_000)

  test('the committed gateway config is the one the modules generate', () => {
    expect(readFileSync(GATEWAY_CONFIG_PATH, 'utf8')).toBe(renderGatewayConfig(modules))
  })
})

describe('a module whose author skipped steps', () => {
  const unfinished: ModuleDefinition = {
    name: 'unfinished',
    prefixes: ['/api/highlights'],
    migrations: resolve(import.meta.dir, 'fixtures/unfinished-module/migrations'),
    produces: { 'unfinished.clipped.v1': z.object({ clip_id: z.string() }) },
    consumes: { 'streams.went_live.v1': { schema: z.object({}), handle: async () => {} } },
    create: () => {
      throw new Error('never mounted')
    },
  }

  test('fails with one line per skipped step', async () => {
    expect(await problemsOf(unfinished, [...modules, unfinished])).toEqual([
      'unfinished: not one of MODULE_NAMES (src/platform/config.ts)',
      'unfinished: foreign key clips.clips_channel_id_fkey has no index leading with its columns (add one in schema.ts, then bun run db:generate)',
      'unfinished: channels.updated_at has no trigger (a custom migration: CREATE TRIGGER … EXECUTE FUNCTION set_updated_at())',
      "unfinished: the platform's inbox table is missing (a module migration must not create or drop it)",
      'unfinished: /api/highlights is not routed by deploy/nginx/gateway.conf (bun run gateway:config)',
      'unfinished: produces events but src/contracts/unfinished.ts does not exist',
      'unfinished: produces unfinished.clipped.v1, which is not a zod schema exported from src/contracts/unfinished.ts',
      'unfinished: consumes streams.went_live.v1, which no module in src/modules.ts produces',
    ])
  }, 30_000)

  test("consuming a real module's event with a schema of its own is caught too", async () => {
    const [type] = Object.keys(modules.find((m) => m.produces)?.produces ?? {})
    const copycat: ModuleDefinition = { ...modules[0]!, name: modules[0]!.name, consumes: { [type!]: { schema: z.object({}), handle: async () => {} } } }
    expect(await contractProblems(copycat, modules)).toEqual([`${copycat.name}: consumes ${type} with a schema other than ${modules[0]!.name}'s contract`])
  })
})
