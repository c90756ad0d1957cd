/**
 * `bun run db:check` as a user runs it, against fresh module databases on this machine's
 * Postgres: clean ones pass, and a missing column, an unapplied migration or an unreachable
 * server each make it fail, saying which.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import postgres from 'postgres'
import { streams } from '../../src/modules/streams/index.ts'
import { users } from '../../src/modules/users/index.ts'
import { createDatabaseFromTemplate } from '../../src/platform/testing/databases.ts'
import { freePort, REPO_ROOT } from '../../src/platform/testing/processes.ts'

let databases: { url: string; drop: () => Promise<void> }[]
beforeAll(async () => {
  databases = await Promise.all([users, streams].map((m) => createDatabaseFromTemplate(m.name, m.migrations)))
})
afterAll(() => Promise.all(databases.map((d) => d.drop())))

async function dbCheck(urls: { users: string; streams: string }): Promise<{ code: number; out: string }> {
  const child = Bun.spawn([process.execPath, 'scripts/db-check.ts'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', MODULES: 'users,streams', USERS_DATABASE_URL: urls.users, STREAMS_DATABASE_URL: urls.streams },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
  return { code, out: out + err }
}

const rowOf = (out: string, module: string) => out.split('\n').find((line) => line.startsWith(`${module} `)) ?? ''

describe('bun run db:check', () => {
  test('freshly migrated databases pass: every migration applied, the schema as the code expects', async () => {
    const result = await dbCheck({ users: databases[0]!.url, streams: databases[1]!.url })
    expect(result.code).toBe(0)
    expect(rowOf(result.out, 'users')).toMatch(/(\d+)\/\1 applied +matches +ok$/)
    expect(rowOf(result.out, 'streams')).toMatch(/(\d+)\/\1 applied +matches +ok$/)
  }, 20_000)

  test('a dropped column, a forgotten migration and an unreachable server each fail, by name', async () => {
    const sql = postgres(databases[0]!.url, { max: 1, onnotice: () => {} })
    try {
      const [column] = await sql<{ table_name: string; column_name: string }[]>`
        select table_name, column_name from information_schema.columns
        where table_schema = 'public' and table_name = 'users' and column_name = 'description'`
      expect(column).toBeDefined()
      await sql`alter table users drop column description`
      const [last] = await sql<{ id: number }[]>`delete from drizzle.__drizzle_migrations where id = (select max(id) from drizzle.__drizzle_migrations) returning id`
      expect(last).toBeDefined()
    } finally {
      await sql.end()
    }
    const result = await dbCheck({ users: databases[0]!.url, streams: `postgres://postgres@127.0.0.1:${freePort()}/streams_db` })
    expect(result.code).toBe(1)
    expect(rowOf(result.out, 'users')).toContain('column public.users.description missing')
    expect(rowOf(result.out, 'users')).toMatch(/\d{4}_\w+ not applied/)
    expect(rowOf(result.out, 'users')).toMatch(/FAIL$/)
    expect(rowOf(result.out, 'streams')).toContain('DOWN: ')
  }, 20_000)
})
