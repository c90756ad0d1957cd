import type { ModuleDatabase, Transaction } from '../../platform/db/database.ts'
import { subscriptionsError } from './errors.ts'

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

/**
 * Takes `entry.delta` points off the balance, with its (negative) ledger row, in `tx`: one
 * conditional UPDATE, so concurrent spends of one balance never take it below zero.
 * `channel_points.insufficient` when the balance is short.
 * @example
 * await spend(tx, { broadcasterId, userId, delta: reward.cost, reason: 'redemption', reference: redemptionId })
 */
export async function spend(tx: Transaction, entry: PointsEntry): Promise<number> {
  // The ledger row in the same statement, written only when the UPDATE took the points: one round trip less per redemption.
  const [row] = await tx.sql<{ balance: string }[]>`
    with spent as (
      update channel_points set balance = balance - ${entry.delta}
      where broadcaster_id = ${entry.broadcasterId} and user_id = ${entry.userId} and balance >= ${entry.delta}
      returning broadcaster_id, user_id, balance
    ), booked as (
      insert into channel_points_ledger (broadcaster_id, user_id, delta, reason, reference)
      select broadcaster_id, user_id, ${-entry.delta}, ${entry.reason}, ${entry.reference} from spent
    )
    select balance from spent`
  if (!row) throw subscriptionsError('channel_points.insufficient', 'Not enough channel points for this reward')
  return Number(row.balance)
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
