import type { Sql } from 'postgres'
import { MAX_ATTEMPTS, type DeadLetters } from './types.ts'

type Row = { event_id: string; type: string; occurred_at: string; payload: unknown }

/**
 * The dead-letter table of `consumer`, in its own database (`dead_letters`, a platform table).
 * @example
 * const deadLetters = createDeadLetters(database.sql, 'chat')
 * await deadLetters.record([{ event, error: 'boom', final: false }], [200, 800, 2400, 6400])
 */
export function createDeadLetters(sql: Sql, consumer: string): DeadLetters {
  return {
    async record(failures, delaysMs) {
      if (failures.length === 0) return []
      const rows = failures.map(({ event, error, final }) => ({
        event_id: event.id,
        type: event.type,
        occurred_at: event.occurredAt,
        payload: event.payload,
        error,
        final,
      }))
      // One statement for the lot; `delays[n]` (1-based) is the wait after n failures.
      const recorded = await sql<{ event_id: string; attempts: number; retry_at: Date | null }[]>`
        with failed as (
          select * from jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb)
            as f(event_id uuid, type text, occurred_at timestamptz, payload jsonb, error text, final boolean)
        )
        insert into dead_letters as d (event_id, consumer, type, occurred_at, payload, error, attempts, retry_at)
        select event_id, ${consumer}, type, occurred_at, payload, error, 1,
               case when final or 1 >= ${MAX_ATTEMPTS}::int then null
                    else now() + make_interval(secs => (${delaysMs}::int[])[1] / 1000.0) end
        from failed
        on conflict (event_id, consumer) do update set
          error = excluded.error,
          attempts = d.attempts + 1,
          last_failed_at = now(),
          retry_at = case when excluded.retry_at is null or d.attempts + 1 >= ${MAX_ATTEMPTS}::int then null
                          else now() + make_interval(secs => coalesce((${delaysMs}::int[])[d.attempts + 1], 0) / 1000.0) end
        returning event_id::text, attempts, retry_at`
      const byId = new Map(recorded.map((row) => [row.event_id, row]))
      return failures.map(({ event }) => {
        const row = byId.get(event.id)
        return { event, attempts: row?.attempts ?? 1, retryAt: row?.retry_at ?? null }
      })
    },
    async due(limit) {
      const rows = await sql<Row[]>`
        -- With its microseconds, as the relay sends it.
        select event_id::text, type, payload,
               to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as occurred_at
        from dead_letters
        where consumer = ${consumer} and retry_at <= now()
        order by first_failed_at limit ${limit}`
      return rows.map((row) => ({ id: row.event_id, type: row.type, occurredAt: row.occurred_at, payload: row.payload }))
    },
    async resolve(eventIds) {
      if (eventIds.length === 0) return
      await sql`delete from dead_letters where consumer = ${consumer} and event_id = any(${eventIds}::uuid[])`
    },
    async nextRetryInMs() {
      const [row] = await sql<{ ms: number | null }[]>`
        select greatest(0, extract(epoch from min(retry_at) - now()) * 1000)::float8 as ms
        from dead_letters where consumer = ${consumer} and retry_at is not null`
      return row?.ms ?? undefined
    },
  }
}
