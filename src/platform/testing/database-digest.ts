import type { Sql } from 'postgres'

/**
 * A digest of every row of every table of one database: any insert, update or delete changes
 * it, so "a refused request writes nothing" is `expect(await databaseDigest(sql)).toBe(before)`.
 * The outbox counts by rows alone: the relay marks earlier requests' events published meanwhile.
 *
 * @example
 * ```ts
 * const before = await databaseDigest(t.sql.users!)
 * expect((await t.request('/api/users/me', { method: 'PATCH', json: { description: 42 } })).status).toBe(400)
 * expect(await databaseDigest(t.sql.users!)).toBe(before)
 * ```
 */
export async function databaseDigest(sql: Sql): Promise<string> {
  const tables = await sql<{ tablename: string }[]>`select tablename from pg_tables where schemaname = 'public' order by 1`
  const parts = await Promise.all(
    tables.map(({ tablename }) => {
      const digest = tablename === 'outbox' ? 'count(*)::text' : `md5(coalesce(string_agg(x::text, '|' order by x::text), ''))`
      return sql.unsafe<{ d: string }[]>(`select ${digest} as d from "${tablename}" x`)
    }),
  )
  return parts.map((rows, i) => `${tables[i]?.tablename}:${rows[0]?.d}`).join(',')
}
