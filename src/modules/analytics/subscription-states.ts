import type { Transaction } from '../../platform/db/database.ts'

/** A subscription as one of its events tells it: what the active-subscriptions gauge counts. */
export type SubscriptionState = {
  subscriptionId: string
  broadcasterId: string
  tier: string
  active: boolean
  currentPeriodEnd: string
  version: number
}

/**
 * Keeps each subscription's newest state, in one statement: the newest of the batch per
 * subscription (one upsert may not touch a row twice), sorted so concurrent batches lock in one
 * order, and written only over an older version.
 */
export async function keepSubscriptionStates(tx: Transaction, states: SubscriptionState[]): Promise<void> {
  if (states.length === 0) return
  const newest = new Map<string, SubscriptionState>()
  for (const state of states) {
    const kept = newest.get(state.subscriptionId)
    if (!kept || kept.version < state.version) newest.set(state.subscriptionId, state)
  }
  const rows = [...newest.values()]
    .sort((a, b) => (a.subscriptionId < b.subscriptionId ? -1 : 1))
    .map((r) => ({ subscription_id: r.subscriptionId, broadcaster_id: r.broadcasterId, tier: r.tier, active: r.active, current_period_end: r.currentPeriodEnd, version: r.version }))
  await tx.sql`
    insert into subscription_states
    select * from jsonb_populate_recordset(null::subscription_states, ${tx.sql.json(rows)}::jsonb)
    on conflict (subscription_id) do update set tier = excluded.tier, active = excluded.active,
      current_period_end = excluded.current_period_end, version = excluded.version
    where subscription_states.version < excluded.version`
}
