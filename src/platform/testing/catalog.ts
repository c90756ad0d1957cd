import type { Sql } from 'postgres'

/**
 * Foreign keys whose columns do not lead some index of their table: each one makes deletes
 * on the referenced table scan, and joins on it slow. DESIGN §5 wants none.
 */
export async function unindexedForeignKeys(sql: Sql): Promise<string[]> {
  const rows = await sql<{ constraint: string }[]>`
    select c.conrelid::regclass || '.' || c.conname as constraint
    from pg_constraint c
    where c.contype = 'f'
      and c.connamespace = 'public'::regnamespace
      and not exists (
        select 1 from pg_index i
        where i.indrelid = c.conrelid
          and (i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey
          and (i.indkey::int2[])[0:cardinality(c.conkey) - 1] <@ c.conkey
      )
    order by 1`
  return rows.map((r) => r.constraint)
}

/** Tables with an `updated_at` column but no trigger keeping it. */
export async function tablesWithoutUpdatedAtTrigger(sql: Sql): Promise<string[]> {
  const rows = await sql<{ table: string }[]>`
    select c.table_name as table
    from information_schema.columns c
    where c.table_schema = 'public' and c.column_name = 'updated_at'
      and not exists (
        select 1 from information_schema.triggers t
        where t.event_object_schema = 'public' and t.event_object_table = c.table_name
          and t.event_manipulation = 'UPDATE'
      )
    order by 1`
  return rows.map((r) => r.table)
}
