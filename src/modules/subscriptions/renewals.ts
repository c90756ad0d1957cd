import type { Logger } from 'pino'
import type { Clock } from '../../platform/clock.ts'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import type { JobRun } from '../../platform/jobs/job.ts'
import type { Charge } from './purchases.ts'
import { endSubscription, SUBSCRIPTION_COLUMNS, type PaidSubscription, type SubscriptionRow } from './subscriptions.ts'
import type { Tiers } from './tiers.ts'

/** How long a renewal's payment may stay unconfirmed (a Stripe charge still processing) before access ends. */
export const RENEWAL_GRACE_MS = 3 * 86_400_000

/**
 * Renewals and expiries, one due subscription per transaction, its row locked with SKIP
 * LOCKED so replicas (or an overlapping run) never take the same one. A subscription that
 * renews is charged off-session at its next tier's price as it is now (a price change applies
 * here), in this transaction, the period it pays naming the charge (so a retry charges it
 * once): `dev`, and Stripe when the saved card is accepted, confirm at once and the fulfilment
 * renews it; a decline ends it (`payment_failed`); a payment still processing is waited for
 * until the grace ends. Canceled, refunded ones and gifts not continued end.
 * @example
 * jobs: [{ name: 'renewals', everyMs: 60_000, singleton: true, run: renewals({ database, charge, tiers, clock, log }) }]
 */
export function renewals(parts: { database: ModuleDatabase; charge: Charge; tiers: Tiers; clock: Clock; log: Logger }) {
  const { database, charge, tiers, clock, log } = parts
  /** Handles the next due subscription but those in `skip` (its id in `failed` until it commits); false when none is left. */
  const next = (skip: string[], failed: { id?: string }) =>
    database.transaction(async (tx) => {
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
        await tx.sql`update subscriptions set renewal_requested_at = ${now} where id = ${row.id}`
        const price = (await tiers.tiersOf(row.broadcaster_id, tx.sql)).find((t) => t.tier === (row.next_tier ?? row.tier))!
        const details: PaidSubscription = { subscription_id: row.id, renewal: true }
        const { status } = await charge(
          { kind: 'subscription', purchaserId: row.user_id, broadcasterId: row.broadcaster_id, amount: price.price, currency: price.currency, details },
          `renewal:${row.id}:${row.current_period_end.toISOString()}`,
          tx,
        )
        log.debug({ subscriptionId: row.id, status }, 'subscription renewal charged')
      }
      return true
    })
  return async ({ signal }: JobRun): Promise<void> => {
    // A failed charge (the provider down) rolls its renewal back: the others go on, the run
    // then fails (metrics, /readyz) and the next one retries it.
    const skip: string[] = []
    let error: unknown
    while (!signal.aborted) {
      const failed: { id?: string } = {}
      try {
        if (!(await next(skip, failed))) break
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
