import type { Sql, TransactionSql } from 'postgres'
import type { Clock } from '../../platform/clock.ts'

/** Whether a broadcaster is suspended now: a publish of theirs is refused. */
export type SuspendedCheck = (sql: Sql | TransactionSql, broadcasterId: string) => Promise<boolean>

/**
 * Reads the suspensions projection (broadcasters.ts keeps it) against `clock`: a timed
 * suspension whose `ends_at` has passed refuses nothing.
 *
 * @example
 * const suspended = suspendedAt(clock)
 * if (await suspended(database.sql, '42')) throw streamsError('broadcaster.suspended', '…')
 */
export const suspendedAt =
  (clock: Clock): SuspendedCheck =>
  async (sql, broadcasterId) => {
    const [row] = await sql`
      select 1 from suspensions
      where user_id = ${broadcasterId}::bigint and suspended and (ends_at is null or ends_at > ${clock()})`
    return row !== undefined
  }
