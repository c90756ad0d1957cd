import type { Sql, TransactionSql } from 'postgres'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import { subscriptionsError } from './errors.ts'
import type { StoredAnswer } from './idempotency.ts'
import type { CardSetupAnswer } from './payments/index.ts'
import type { CardSetup, Checkout, Continuation, SetupsStop } from './purchases.ts'
import { sell } from './selling.ts'
import { lockSubscription, type PaidSubscription, type SubscriptionRow } from './subscriptions.ts'
import type { Tier, Tiers } from './tiers.ts'

/** The checks before anyone pays: not your own channel, and a channel that exists. */
export async function checkChannel(sql: Sql | TransactionSql, broadcasterId: string, buyerId: string): Promise<void> {
  if (broadcasterId === buyerId) throw subscriptionsError('subscription.own_channel', 'You cannot subscribe to your own channel')
  const [known] = await sql`select 1 from subscription_users where user_id = ${broadcasterId}`
  if (!known) throw subscriptionsError('subscription.channel_not_found', 'No channel has this broadcaster_id')
}

/** The answer of a subscribe that continued a subscription (nothing charged): the route shows it as it now is. */
export const CONTINUED = 200
/** The answer of a subscribe that continues once a card is saved (none on file for its renewals): the setup's page. */
export const SAVING_CARD = 202

/**
 * Has an active subscription renew again from its period's end, at `tier` from then (the
 * payments' `Continuation`, once its card is on file); one ended meanwhile, or renewing already
 * (continued twice, its tier changed since), is left as it is.
 */
export const continueSubscription: Continuation = async (tx, { subscriptionId, tier }) => {
  await tx.sql`
    update subscriptions set renews = true, next_tier = nullif(${tier}, tier), refunded_at = null
    where id = ${subscriptionId} and status = 'active' and not renews`
}

/**
 * A viewer's own subscription to a channel: subscribe (paid through the checkout under the
 * request's Idempotency-Key), continue a canceled or gifted one (on a card its renewals can
 * charge, saved first when none is), cancel at the period's end, change the tier from the next period.
 * @example
 * const subscribing = createSubscribing({ database, checkout, cards, stopSetups, tiers })
 * await subscribing.subscribe('7', { broadcasterId: '42', tier: '1000', message: '' }, key)
 */
export function createSubscribing(parts: { database: ModuleDatabase; checkout: Checkout; cards: CardSetup; stopSetups: SetupsStop; tiers: Tiers }) {
  const { database, checkout, cards, stopSetups, tiers } = parts

  /** The active subscription, locked, or `subscription.not_found`. */
  const activeOf = async (tx: Parameters<typeof lockSubscription>[0], broadcasterId: string, userId: string) => {
    const row = await lockSubscription(tx, broadcasterId, userId)
    if (row?.status !== 'active') throw subscriptionsError('subscription.not_found', 'You have no active subscription to this channel')
    return row
  }

  return {
    /**
     * Subscribes at `tier`: `201` with the payment. Already subscribed: a canceled or gifted
     * subscription renews again at its period's end (at `tier` from then on), `CONTINUED`, or,
     * with no card on file to renew with, once one is saved (`SAVING_CARD`, the setup); one that
     * renews already is `subscription.already_active`.
     */
    async subscribe(
      userId: string,
      ask: { broadcasterId: string; tier: Tier; message: string },
      idempotencyKey: string,
    ): Promise<{ answer: StoredAnswer; replayed: boolean }> {
      return sell(database, checkout, { userId, operation: 'subscribe', key: idempotencyKey, request: ask }, async (tx) => {
        await checkChannel(tx.sql, ask.broadcasterId, userId)
        const row = await lockSubscription(tx, ask.broadcasterId, userId)
        if (row?.status === 'active') {
          if (row.renews) throw subscriptionsError('subscription.already_active', 'You are subscribed to this channel already; change the tier instead')
          const continued = await cards({ purchaserId: userId, broadcasterId: ask.broadcasterId, subscriptionId: row.id, tier: ask.tier }, tx)
          if (continued.status === 'continued') return { answer: { status: CONTINUED, body: { subscription_id: row.id } } }
          const setup: CardSetupAnswer = { setup_id: continued.setupId, subscription_id: row.id, status: 'pending', checkout_url: continued.checkoutUrl }
          return { answer: { status: SAVING_CARD, body: { data: [setup] } } }
        }
        const price = (await tiers.tiersOf(ask.broadcasterId, tx.sql)).find((t) => t.tier === ask.tier)!
        const details: PaidSubscription = { tier: ask.tier, message: ask.message }
        return {
          purchase: { kind: 'subscription', purchaserId: userId, broadcasterId: ask.broadcasterId, amount: price.price, currency: price.currency, details },
        }
      })
    },

    /** Stops renewal, and a continuation still saving its card: access lasts until the period's end, when it ends. */
    async cancel(userId: string, broadcasterId: string): Promise<SubscriptionRow> {
      return database.transaction(async (tx) => {
        // Before the subscription's lock: a setup's card saved meanwhile locks the setup first too.
        await stopSetups(tx, { purchaserId: userId, broadcasterId })
        const row = await activeOf(tx, broadcasterId, userId)
        await tx.sql`update subscriptions set renews = false, next_tier = null where id = ${row.id}`
        return { ...row, renews: false, next_tier: null }
      })
    },

    /** Upgrades or downgrades from the next period (the price then is the new tier's); the current tier asks for no change. */
    async changeTier(userId: string, broadcasterId: string, tier: Tier): Promise<SubscriptionRow> {
      return database.transaction(async (tx) => {
        const row = await activeOf(tx, broadcasterId, userId)
        const next = tier === row.tier ? null : tier
        await tx.sql`update subscriptions set next_tier = ${next} where id = ${row.id}`
        return { ...row, next_tier: next }
      })
    },
  }
}

export type Subscribing = ReturnType<typeof createSubscribing>
