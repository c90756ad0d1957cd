import type { Transaction } from '../../../platform/db/database.ts'
import type { ContinueAsk, Continuation } from '../purchases.ts'
import type { Tier } from '../tiers.ts'
import type { Provider } from './payments.ts'

/** A saved card as a provider's events tell it, each part when known. */
export type SetupCard = { setupIntent?: string; customer?: string; paymentMethod?: string }

/**
 * Cards saved without a payment, for the renewals of a subscription continued with none on file:
 * a setup is recorded `pending` with what it continues, then `saved` once — by the provider's
 * event, or `dev` at once — which runs the continuation in that transaction, `failed` (its
 * checkout expired) or `canceled` (the subscriber canceled first). Moves are conditional, as a
 * payment's: an event about a setup saved (or canceled) already only fills in what it did not
 * know (the card of a SetupIntent) and continues nothing again.
 */
export function createCardSetups(continuation: Continuation) {
  return {
    /** Records a setup `pending`; its id is what the provider's events name. */
    async record(tx: Transaction, ask: ContinueAsk, provider: Provider): Promise<string> {
      const [row] = await tx.sql<{ id: string }[]>`
        insert into card_setups (purchaser_id, broadcaster_id, subscription_id, tier, provider)
        values (${ask.purchaserId}, ${ask.broadcasterId}, ${ask.subscriptionId}, ${ask.tier}, ${provider})
        returning id`
      return row!.id
    },

    /** Where the provider's checkout is, and the customer the card is saved on. */
    async attachCheckout(tx: Transaction, setupId: string, checkout: { reference: string; url: string | null; customer: string }): Promise<void> {
      await tx.sql`
        update card_setups set provider_reference = ${checkout.reference}, checkout_url = ${checkout.url}, provider_customer = ${checkout.customer}
        where id = ${setupId}`
    },

    /**
     * Saves a setup's card (a failed one too: the provider says it was saved after all) and
     * continues its subscription; false when it was saved already, is none of ours, or was
     * canceled (the card is recorded, the subscription stays as its subscriber left it).
     */
    async save(tx: Transaction, setupId: string, card: SetupCard): Promise<boolean> {
      const [row] = await tx.sql<{ status: string; subscription_id: string; tier: Tier }[]>`
        select status, subscription_id, tier from card_setups where id = ${setupId} for update`
      if (!row) return false
      const canceled = row.status === 'canceled'
      await tx.sql`
        update card_setups set
          provider_setup_intent = coalesce(provider_setup_intent, ${card.setupIntent ?? null}),
          provider_customer = coalesce(provider_customer, ${card.customer ?? null}),
          provider_payment_method = coalesce(provider_payment_method, ${card.paymentMethod ?? null}),
          status = ${canceled ? 'canceled' : 'saved'}, saved_at = coalesce(saved_at, now()), failed_at = null
        where id = ${setupId}`
      if (row.status === 'saved' || canceled) return false
      await continuation(tx, { subscriptionId: row.subscription_id, tier: row.tier })
      return true
    },

    /** Continues a subscription whose renewals have a card on file already: nothing to set up. */
    async continueOnFile(tx: Transaction, ask: ContinueAsk): Promise<void> {
      await continuation(tx, { subscriptionId: ask.subscriptionId, tier: ask.tier })
    },

    /**
     * Stops the setups a subscriber left open for their subscription to a channel, who canceled
     * it: a card saved there afterwards continues nothing. Called before the subscription is
     * locked, as `save` locks a setup before its subscription, so the two never deadlock.
     */
    async stop(tx: Transaction, subscriber: { purchaserId: string; broadcasterId: string }): Promise<void> {
      await tx.sql`
        update card_setups set status = 'canceled', canceled_at = now()
        where purchaser_id = ${subscriber.purchaserId} and broadcaster_id = ${subscriber.broadcasterId} and status = 'pending'`
    },

    /** A setup that will not be saved (its checkout expired); false when it was past pending. */
    async fail(tx: Transaction, setupId: string): Promise<boolean> {
      const failed = await tx.sql`update card_setups set status = 'failed', failed_at = now() where id = ${setupId} and status = 'pending'`
      return failed.count > 0
    },
  }
}

export type CardSetups = ReturnType<typeof createCardSetups>
