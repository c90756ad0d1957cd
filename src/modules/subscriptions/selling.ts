import type { ModuleDatabase, Transaction } from '../../platform/db/database.ts'
import { once, type StoredAnswer } from './idempotency.ts'
import { paymentAnswer } from './payments/index.ts'
import type { Checkout, Purchase } from './purchases.ts'

/** What a paid action's checks decided: the purchase to check out, or an answer needing no payment. */
export type Decision = { purchase: Purchase } | { answer: StoredAnswer }

/**
 * A paid action under its Idempotency-Key, checks included: `decide` runs in the key's
 * transaction, so a retry of an action that succeeded gets its first answer even though the
 * checks would now refuse it (the buyer is subscribed since), and concurrent retries wait on
 * the key instead of racing the checks. A purchase is checked out in that transaction
 * (`201`, the payment); a refusal thrown by `decide` claims nothing.
 * @example
 * const { answer, replayed } = await sell(database, checkout, { userId, operation: 'subscribe', key, request: body }, async (tx) => ({ purchase }))
 */
export async function sell(
  database: ModuleDatabase,
  checkout: Checkout,
  request: Parameters<typeof once>[1],
  decide: (tx: Transaction) => Promise<Decision>,
): Promise<{ answer: StoredAnswer; replayed: boolean }> {
  return once(database, request, async (tx) => {
    const decision = await decide(tx)
    if ('answer' in decision) return decision.answer
    const { purchase } = decision
    return { status: 201, body: { data: [paymentAnswer(purchase, await checkout(purchase, tx))] } }
  })
}
