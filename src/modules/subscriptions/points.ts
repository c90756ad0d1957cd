import type { ModuleDatabase, Transaction } from '../../platform/db/database.ts'

/** One change of one balance and its cause, named once per balance (`redemption` + its id, `follow` + `once`). */
export type PointsEntry = { broadcasterId: string; userId: string; delta: number; reason: string; reference: string }

/**
 * Adds `entry.delta` (> 0) to the balance, with its ledger row, in `tx`. False, changing
 * nothing, when that cause was already credited: a replayed event or a repeated refund.
 * @example
 * await database.transaction((tx) => credit(tx, { broadcasterId, userId, delta: 300, reason: 'follow', reference: 'once' }))
 */
export async function credit(tx: Transaction, entry: PointsEntry): Promise<boolean> {
  const [inserted] = await tx.sql`
    insert into channel_points_ledger (broadcaster_id, user_id, delta, reason, reference)
    values (${entry.broadcasterId}, ${entry.userId}, ${entry.delta}, ${entry.reason}, ${entry.reference})
    on conflict do nothing returning id`
  if (!inserted) return false
  await tx.sql`
    insert into channel_points (broadcaster_id, user_id, balance) values (${entry.broadcasterId}, ${entry.userId}, ${entry.delta})
    on conflict (broadcaster_id, user_id) do update set balance = channel_points.balance + excluded.balance`
  return true
}

/** Balances as viewers read them; a viewer who never earned any here has 0. */
export function createChannelPoints(database: ModuleDatabase) {
  return {
    async balanceOf(broadcasterId: string, userId: string): Promise<number> {
      const [row] = await database.sql<{ balance: string }[]>`
        select balance from channel_points where broadcaster_id = ${broadcasterId} and user_id = ${userId}`
      return row ? Number(row.balance) : 0
    },
  }
}

export type ChannelPoints = ReturnType<typeof createChannelPoints>
