import type { Logger } from 'pino'
import type { Clock } from '../../platform/clock.ts'
import type { ModuleDatabase, Transaction } from '../../platform/db/database.ts'
import type { JobRun } from '../../platform/jobs/job.ts'
import type { Charge } from './purchases.ts'
import { endSubscription, SUBSCRIPTION_COLUMNS, type PaidSubscription, type SubscriptionRow } from './subscriptions.ts'
import type { Tier, Tiers } from './tiers.ts'

/** How long a renewal's payment may stay unconfirmed (a Stripe charge still processing) before access ends. */
export const RENEWAL_GRACE_MS = 3 * 86_400_000

/**
 * Renewals and expiries, one due subscription per transaction, its row locked with SKIP
 * LOCKED so replicas (or an overlapping run) never take the same one. A subscription that
 * renews is charged off-session at its next tier's price as the period's first attempt found it
 * (a price change applies there, and a retry asks the same), in this transaction, the period it
 * pays naming the charge (so a retry charges it once): `dev`, and Stripe when the saved card is
 * accepted, confirm at once and the fulfilment renews it at that tier; a decline ends it
 * (`payment_failed`); a payment still processing is waited for until the grace ends. Canceled,
 * refunded ones and gifts not continued end.
 * @example
 * jobs: [{ name: 'renewals', everyMs: 60_000, singleton: true, run: renewals({ database, charge, tiers, clock, log }) }]
 */
export function renewals(parts: { database: ModuleDatabase; charge: Charge; tiers: Tiers; clock: Clock; log: Logger }) {
  const { database, charge, tiers, clock, log } = parts
  /**
   * The period's attempt: its tier and price as the first one found them. A retry sends the
   * provider the very amount the first (maybe taken, its answer lost) was for under their key.
   */
  const attemptOf = async (tx: Transaction, row: SubscriptionRow) => {
    const read = () => tx.sql<{ tier: Tier; amount: number; currency: string }[]>`
      select tier, amount::int as amount, currency from renewal_attempts
      where subscription_id = ${row.id} and period_end = ${row.current_period_end}`
    const [attempted] = await read()
    if (attempted) return attempted
    const tier = row.next_tier ?? row.tier
    const price = (await tiers.tiersOf(row.broadcaster_id, tx.sql)).find((t) => t.tier === tier)!
    // Committed on its own before the provider is asked: a process that dies after Stripe took
    // the charge but before this transaction commits still leaves the amount its key was for.
    await database.sql`
      insert into renewal_attempts (subscription_id, period_end, tier, amount, currency)
      values (${row.id}, ${row.current_period_end}, ${tier}, ${price.price}, ${price.currency})
      on conflict (subscription_id, period_end) do nothing`
    return (await read())[0]!
  }

  /**
   * Handles the next due subscription but those in `skip` (its id in `failed` until it commits);
   * false when none is left, the error when its charge failed.
   */
  const next = (skip: string[], failed: { id?: string }) =>
    database.transaction(async (tx): Promise<boolean | { error: unknown }> => {
      const now = clock()
      const [row] = await tx.sql<SubscriptionRow[]>`
        select ${tx.sql.unsafe(SUBSCRIPTION_COLUMNS)} from subscriptions
        where status = 'active' and current_period_end <= ${now} and id <> all(${skip}::uuid[])
          and (renewal_requested_at is null or current_period_end <= ${new Date(now.getTime() - RENEWAL_GRACE_MS)})
        order by current_period_end limit 1 for update skip locked`
      if (!row) return false
      failed.id = row.id
      if (!row.renews) {
        await endSubscription(tx, row, row.refunded_at ? 'refunded' : row.is_gift ? 'gift_ended' : 'canceled', now)
      } else if (row.renewal_requested_at) {
        await endSubscription(tx, row, 'payment_failed', now)
      } else {
        const attempt = await attemptOf(tx, row)
        // A failed charge (the provider down) is undone but its attempt, which commits.
        await tx.sql`savepoint renewal_charge`
        try {
          await tx.sql`update subscriptions set renewal_requested_at = ${now} where id = ${row.id}`
          const details: PaidSubscription = { subscription_id: row.id, renewal: true, tier: attempt.tier }
          const { status } = await charge(
            { kind: 'subscription', purchaserId: row.user_id, broadcasterId: row.broadcaster_id, amount: attempt.amount, currency: attempt.currency, details },
            `renewal:${row.id}:${row.current_period_end.toISOString()}`,
            tx,
          )
          log.debug({ subscriptionId: row.id, status }, 'subscription renewal charged')
        } catch (error) {
          await tx.sql`rollback to savepoint renewal_charge`
          return { error }
        }
      }
      return true
    })
  return async ({ signal }: JobRun): Promise<void> => {
    // A failed charge (the provider down) rolls its renewal back but its attempt: the others go
    // on, the run then fails (metrics, /readyz) and the next one retries it.
    const skip: string[] = []
    let error: unknown
    while (!signal.aborted) {
      const failed: { id?: string } = {}
      try {
        const handled = await next(skip, failed)
        if (!handled) break
        if (handled !== true) throw handled.error
      } catch (caught) {
        if (!failed.id) throw caught
        log.error({ err: caught, subscriptionId: failed.id }, 'subscription renewal failed; retried at the next run')
        skip.push(failed.id)
        error = caught
      }
    }
    if (error) throw error
  }
}
