import type { Sql, TransactionSql } from 'postgres'
import { z } from 'zod'
import type { Clock } from '../../platform/clock.ts'
import type { ModuleDatabase, Transaction } from '../../platform/db/database.ts'
import { subscriptionsError } from './errors.ts'
import type { StoredAnswer } from './idempotency.ts'
import { publish } from './publish.ts'
import { announceRefund, type Checkout, type ConfirmedPayment, type Fulfilment } from './purchases.ts'
import { sell } from './selling.ts'
import { checkChannel } from './subscribing.ts'
import {
  lockSubscription,
  renewSubscription,
  startSubscription,
  type Revenue,
  type SubscriptionRow,
} from './subscriptions.ts'
import { TIERS, type Tier, type Tiers } from './tiers.ts'

const GiftDetails = z.object({
  tier: z.enum(TIERS),
  /** The named recipient; null for a community gift. */
  recipient_id: z.string().nullable(),
  count: z.number().int().min(1).max(100),
  is_anonymous: z.boolean(),
})
/** A gift payment's `details`. */
export type GiftDetails = z.infer<typeof GiftDetails>

/** Followers of the channel who are not subscribed to it, nor the gifter, in random order (`limit` of them). */
const eligible = (sql: Sql | TransactionSql, broadcasterId: string, gifterId: string, skip: string[], limit: number, locking: boolean) => sql<{ user_id: string }[]>`
  select f.user_id::text as user_id from subscription_follows f
  where f.broadcaster_id = ${broadcasterId} and f.following and f.user_id <> ${gifterId} and f.user_id <> ${broadcasterId}
    and f.user_id <> all(${skip}::bigint[])
    and not exists (select 1 from subscriptions s where s.broadcaster_id = f.broadcaster_id and s.user_id = f.user_id and s.status = 'active')
  order by random() limit ${limit} ${locking ? sql`for update of f skip locked` : sql``}`

/**
 * Starts a gifted period for each of `count` random eligible followers. Their follow rows are
 * locked (skipping those another gift holds) and each start refuses a user subscribed
 * meanwhile, so two gifts at once never pick one user twice and never a subscriber; a refused
 * pick is replaced by another while eligible followers remain.
 */
async function giveToCommunity(tx: Transaction, payment: ConfirmedPayment, details: GiftDetails, giftId: string, now: Date) {
  const given: SubscriptionRow[] = []
  const tried: string[] = []
  while (given.length < details.count) {
    const picks = await eligible(tx.sql, payment.broadcasterId, payment.purchaserId, tried, details.count - given.length, true)
    if (picks.length === 0) break
    for (const { user_id } of picks) {
      tried.push(user_id)
      const started = await startGifted(tx, payment, details, user_id, giftId, now)
      if (started) given.push(started)
    }
  }
  return given
}

const startGifted = (tx: Transaction, payment: ConfirmedPayment, details: GiftDetails, userId: string, giftId: string, now: Date) =>
  startSubscription(
    tx,
    {
      broadcasterId: payment.broadcasterId,
      userId,
      tier: details.tier,
      message: '',
      gift: { gifterId: payment.purchaserId, giftId, anonymous: details.is_anonymous },
    },
    now,
    // The gift's event carries its revenue.
    { amount: 0, currency: payment.currency, occurredAt: now },
  )

/**
 * The `gift` fulfilment, in the transaction that confirms the payment: the gift's row, a
 * gifted period per recipient (a named recipient subscribed meanwhile gets one more period
 * after theirs), `subscription_started` for each and one `gift_sent` with the count given. A
 * community gift that finds fewer eligible followers than paid for gives back the subs it could
 * not give (`giveBack`: Stripe refunds them, dev at once). A full refund leaves the gifted
 * periods to their end, as a subscriber's refund does, which is then `refunded`.
 */
export function giftFulfilment(clock: Clock): Fulfilment {
  return {
    async fulfil(tx, payment, giveBack) {
      const details = GiftDetails.parse(payment.details)
      const now = clock()
      const [gift] = await tx.sql<{ id: string }[]>`
        insert into subscription_gifts (payment_id, broadcaster_id, gifter_id, is_anonymous, is_community, tier, count, given)
        values (${payment.paymentId}, ${payment.broadcasterId}, ${payment.purchaserId}, ${details.is_anonymous},
          ${details.recipient_id === null}, ${details.tier}, ${details.count}, 0)
        returning id`
      const giftId = gift!.id
      let recipients: SubscriptionRow[]
      if (details.recipient_id === null) {
        recipients = await giveToCommunity(tx, payment, details, giftId, now)
      } else {
        const started = await startGifted(tx, payment, details, details.recipient_id, giftId, now)
        const revenue: Revenue = { amount: 0, currency: payment.currency, occurredAt: now }
        recipients = [started ?? (await renewSubscription(tx, (await lockSubscription(tx, payment.broadcasterId, details.recipient_id))!, revenue))]
      }
      const [totals] = await tx.sql<{ total: number }[]>`
        update subscription_gifts set given = ${recipients.length} where id = ${giftId}
        returning (select coalesce(sum(given), 0)::int from subscription_gifts
          where broadcaster_id = ${payment.broadcasterId} and gifter_id = ${payment.purchaserId} and not is_anonymous and id <> ${giftId}) as total`
      // Followers subscribed (or unfollowed) between the check and the payment: what was not given is given back.
      const price = payment.amount / details.count
      const kept = price * recipients.length
      if (kept < payment.amount) await giveBack(payment.amount - kept)
      if (recipients.length === 0) return
      await publish(tx, 'subscriptions.gift_sent.v1', {
        gift_id: giftId,
        broadcaster_id: payment.broadcasterId,
        gifter_id: details.is_anonymous ? null : payment.purchaserId,
        is_anonymous: details.is_anonymous,
        is_community: details.recipient_id === null,
        tier: details.tier,
        count: recipients.length,
        recipient_ids: recipients.map((row) => row.user_id),
        gifter_total_gifts: details.is_anonymous ? 0 : totals!.total + recipients.length,
        amount: kept,
        currency: payment.currency,
        occurred_at: now.toISOString(),
      })
    },
    async refund(tx, payment, refund) {
      await announceRefund(tx, payment, refund, GiftDetails.parse(payment.details).tier)
      if (!refund.full) return
      await tx.sql`
        update subscriptions set refunded_at = ${refund.refundedAt}
        where gift_id = (select id from subscription_gifts where payment_id = ${payment.paymentId}) and status = 'active' and not renews`
    },
  }
}

/** What a gift asks for: one named recipient, or `count` random followers. */
export type GiftAsk = { broadcasterId: string; tier: Tier; isAnonymous: boolean } & ({ recipientId: string } | { count: number })

/**
 * Gifting, checked before anyone pays: a channel that exists and is not the gifter's, a named
 * recipient who exists, is not the gifter and is not subscribed, or enough eligible followers
 * for a community gift; then paid through the checkout under the Idempotency-Key.
 * @example
 * const gifting = createGifting({ database, checkout, tiers })
 * await gifting.give('7', { broadcasterId: '42', tier: '1000', isAnonymous: false, count: 5 }, key)
 */
export function createGifting(parts: { database: ModuleDatabase; checkout: Checkout; tiers: Tiers }) {
  const { database, checkout, tiers } = parts
  return {
    /** Checks and pays a gift under its Idempotency-Key (`sell`): `201` with the payment. */
    async give(gifterId: string, ask: GiftAsk, idempotencyKey: string): Promise<{ answer: StoredAnswer; replayed: boolean }> {
      return sell(database, checkout, { userId: gifterId, operation: 'gift', key: idempotencyKey, request: ask }, async (tx) => {
        await checkChannel(tx.sql, ask.broadcasterId, gifterId)
        if ('recipientId' in ask) {
          if (ask.recipientId === gifterId) throw subscriptionsError('gift.self', 'Gift subs go to someone else; subscribe yourself instead')
          if (ask.recipientId === ask.broadcasterId) throw subscriptionsError('subscription.own_channel', 'A broadcaster cannot subscribe to their own channel')
          const [recipient] = await tx.sql<{ active: boolean }[]>`
            select exists (select 1 from subscriptions where broadcaster_id = ${ask.broadcasterId} and user_id = u.user_id and status = 'active') as active
            from subscription_users u where u.user_id = ${ask.recipientId}`
          if (!recipient) throw subscriptionsError('gift.recipient_not_found', 'No user has this user_id')
          if (recipient.active) throw subscriptionsError('gift.recipient_subscribed', 'This user is subscribed to the channel already')
        } else {
          const candidates = await eligible(tx.sql, ask.broadcasterId, gifterId, [], ask.count, false)
          if (candidates.length < ask.count) {
            throw subscriptionsError('gift.not_enough_recipients', `Only ${candidates.length} followers of the channel can receive a gift sub`)
          }
        }
        const count = 'count' in ask ? ask.count : 1
        const price = (await tiers.tiersOf(ask.broadcasterId, tx.sql)).find((t) => t.tier === ask.tier)!
        const details: GiftDetails = {
          tier: ask.tier,
          recipient_id: 'recipientId' in ask ? ask.recipientId : null,
          count,
          is_anonymous: ask.isAnonymous,
        }
        return {
          purchase: { kind: 'gift', purchaserId: gifterId, broadcasterId: ask.broadcasterId, amount: price.price * count, currency: price.currency, details },
        }
      })
    },
  }
}

export type Gifting = ReturnType<typeof createGifting>
