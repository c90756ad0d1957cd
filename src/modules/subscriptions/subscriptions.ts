import { z } from 'zod'
import type { Clock } from '../../platform/clock.ts'
import type { Transaction } from '../../platform/db/database.ts'
import { publish } from './publish.ts'
import { announceRefund, type Fulfilment, type Purchase } from './purchases.ts'
import { TIERS, type Tier } from './tiers.ts'

/** A subscription period, as Twitch bills it: 30 days. */
export const PERIOD_MS = 30 * 86_400_000

export type SubscriptionRow = {
  id: string
  broadcaster_id: string
  user_id: string
  tier: Tier
  next_tier: Tier | null
  status: 'active' | 'ended'
  renews: boolean
  is_gift: boolean
  gifter_id: string | null
  gift_anonymous: boolean
  message: string
  cumulative_months: number
  streak_months: number
  current_period_start: Date
  current_period_end: Date
  renewal_requested_at: Date | null
  refunded_at: Date | null
  ended_at: Date | null
  version: number
}

/** The columns of a `SubscriptionRow`, ids as text (exact past 2^53). */
export const SUBSCRIPTION_COLUMNS = `id, broadcaster_id::text as broadcaster_id, user_id::text as user_id, tier, next_tier, status, renews,
  is_gift, gifter_id::text as gifter_id, gift_anonymous, message, cumulative_months, streak_months,
  current_period_start, current_period_end, renewal_requested_at, refunded_at, ended_at, version`

/** A gift's side of a subscription: who gave it (hidden when anonymous) and in which gift. */
export type GiftOrigin = { gifterId: string; giftId: string; anonymous: boolean }

const periodEnd = (from: Date) => new Date(from.getTime() + PERIOD_MS)

/** The subscription as the events carry it. */
export function subscriptionEventView(row: SubscriptionRow) {
  return {
    subscription_id: row.id,
    broadcaster_id: row.broadcaster_id,
    user_id: row.user_id,
    tier: row.tier,
    is_gift: row.is_gift,
    gifter_id: row.gift_anonymous ? null : row.gifter_id,
    cumulative_months: row.cumulative_months,
    streak_months: row.streak_months,
    current_period_end: row.current_period_end.toISOString(),
    version: row.version,
  }
}

/** What a payment brought in, for the events' revenue fields (a gifted sub: 0, the gift's event carries it). */
export type Revenue = { amount: number; currency: string; occurredAt: Date }

const revenueOf = (revenue: Revenue) => ({ amount: revenue.amount, currency: revenue.currency, occurred_at: revenue.occurredAt.toISOString() })

/** Locks the (channel, user) subscription, if there is one. */
export async function lockSubscription(tx: Transaction, broadcasterId: string, userId: string): Promise<SubscriptionRow | undefined> {
  const [row] = await tx.sql<SubscriptionRow[]>`
    select ${tx.sql.unsafe(SUBSCRIPTION_COLUMNS)} from subscriptions
    where broadcaster_id = ${broadcasterId} and user_id = ${userId} for update`
  return row
}

/**
 * Starts a period for a user with no active subscription to the channel: the first, or a
 * resubscription after a lapse (months count on, the streak starts again at 1). Undefined when
 * the user is subscribed already (a concurrent purchase or gift won): nothing is written.
 */
export async function startSubscription(
  tx: Transaction,
  start: { broadcasterId: string; userId: string; tier: Tier; message: string; gift?: GiftOrigin },
  now: Date,
  revenue: Revenue,
): Promise<SubscriptionRow | undefined> {
  const gift = start.gift
  const [row] = await tx.sql<SubscriptionRow[]>`
    insert into subscriptions (broadcaster_id, user_id, tier, status, renews, is_gift, gifter_id, gift_anonymous, gift_id,
      message, cumulative_months, streak_months, current_period_start, current_period_end, version)
    values (${start.broadcasterId}, ${start.userId}, ${start.tier}, 'active', ${!gift}, ${!!gift}, ${gift?.gifterId ?? null},
      ${gift?.anonymous ?? false}, ${gift?.giftId ?? null}, ${start.message}, 1, 1, ${now}, ${periodEnd(now)}, 1)
    on conflict (broadcaster_id, user_id) do update set
      tier = excluded.tier, next_tier = null, status = 'active', renews = excluded.renews, is_gift = excluded.is_gift,
      gifter_id = excluded.gifter_id, gift_anonymous = excluded.gift_anonymous, gift_id = excluded.gift_id, message = excluded.message,
      cumulative_months = subscriptions.cumulative_months + 1, streak_months = 1,
      current_period_start = excluded.current_period_start, current_period_end = excluded.current_period_end,
      renewal_requested_at = null, refunded_at = null, ended_at = null, end_reason = null, version = subscriptions.version + 1
    where subscriptions.status = 'ended'
    returning ${tx.sql.unsafe(SUBSCRIPTION_COLUMNS)}`
  if (!row) return undefined
  await publish(tx, 'subscriptions.subscription_started.v1', { ...subscriptionEventView(row), message: row.message, ...revenueOf(revenue) })
  return row
}

/**
 * One more period paid, from the end of the current one: months and streak grow by one; the
 * tier asked for (`next_tier`) takes over, and a gift the recipient continued is their own now.
 */
export async function renewSubscription(tx: Transaction, row: SubscriptionRow, revenue: Revenue): Promise<SubscriptionRow> {
  const tier = row.next_tier ?? row.tier
  const changed = tier !== row.tier
  const [renewed] = await tx.sql<SubscriptionRow[]>`
    update subscriptions set
      tier = ${tier}, next_tier = null, is_gift = false, gifter_id = null, gift_anonymous = false, gift_id = null, message = '',
      cumulative_months = cumulative_months + 1, streak_months = streak_months + 1,
      current_period_start = current_period_end, current_period_end = ${periodEnd(row.current_period_end)},
      renewal_requested_at = null, refunded_at = null, version = version + ${changed ? 2 : 1}
    where id = ${row.id}
    returning ${tx.sql.unsafe(SUBSCRIPTION_COLUMNS)}`
  if (!renewed) throw new Error(`subscription ${row.id} vanished under its lock`)
  if (changed) {
    await publish(tx, 'subscriptions.subscription_tier_changed.v1', {
      ...subscriptionEventView({ ...renewed, version: renewed.version - 1 }),
      from_tier: row.tier,
      effective_at: renewed.current_period_start.toISOString(),
    })
  }
  await publish(tx, 'subscriptions.subscription_renewed.v1', { ...subscriptionEventView(renewed), message: '', ...revenueOf(revenue) })
  return renewed
}

export type EndReason = 'canceled' | 'gift_ended' | 'payment_failed' | 'refunded'

/** Ends access now (the period ran out unrenewed, or its payment was refunded). */
export async function endSubscription(tx: Transaction, row: SubscriptionRow, reason: EndReason, now: Date): Promise<void> {
  const [ended] = await tx.sql<SubscriptionRow[]>`
    update subscriptions set status = 'ended', renews = false, next_tier = null, renewal_requested_at = null,
      ended_at = ${now}, end_reason = ${reason}, version = version + 1
    where id = ${row.id} and status = 'active'
    returning ${tx.sql.unsafe(SUBSCRIPTION_COLUMNS)}`
  if (!ended) return
  await publish(tx, 'subscriptions.subscription_ended.v1', { ...subscriptionEventView(ended), ended_at: now.toISOString(), reason })
}

const PaidSubscription = z.union([
  // `tier`: the one its first attempt priced (none in the renewals charged before attempts were kept).
  z.object({ subscription_id: z.uuid(), renewal: z.literal(true), tier: z.enum(TIERS).optional() }),
  z.object({ tier: z.enum(TIERS), message: z.string() }),
])
/** A subscription payment's `details`: a first or renewed-after-lapse period, or the renewal of one. */
export type PaidSubscription = z.infer<typeof PaidSubscription>

/** The subscription a confirmed payment is for, locked: the renewed one's by id, a purchase's by (channel, buyer). */
async function lockPaidFor(tx: Transaction, payment: Pick<Purchase, 'broadcasterId' | 'purchaserId'>, details: PaidSubscription) {
  if (!('renewal' in details)) return lockSubscription(tx, payment.broadcasterId, payment.purchaserId)
  const [row] = await tx.sql<SubscriptionRow[]>`
    select ${tx.sql.unsafe(SUBSCRIPTION_COLUMNS)} from subscriptions where id = ${details.subscription_id} for update`
  return row
}

/**
 * The `subscription` fulfilment, run in the transaction that confirms (or refunds) the payment.
 * A renewal renews; a purchase starts a period, or, when the buyer is subscribed already (a
 * second purchase raced the first, a gift came first), adds one after it: what was paid for is
 * never lost. A full refund does what Twitch does: access lasts to the period's end, which is
 * `refunded`, without renewal (a partial one changes nothing). A renewal that could not be
 * charged ends the subscription (`payment_failed`); paid after all, it starts again once.
 */
export function subscriptionFulfilment(clock: Clock): Fulfilment {
  return {
    async fulfil(tx, payment) {
      const details = PaidSubscription.parse(payment.details)
      const revenue = { amount: payment.amount, currency: payment.currency, occurredAt: clock() }
      const row = await lockPaidFor(tx, payment, details)
      if (row?.status === 'active') {
        // A renewal renews at the tier its first attempt priced, though the next tier changed since.
        await renewSubscription(tx, 'renewal' in details && details.tier ? { ...row, next_tier: details.tier } : row, revenue)
        return
      }
      const tier = details.tier ?? row?.next_tier ?? row?.tier ?? '1000'
      const message = 'message' in details ? details.message : ''
      await startSubscription(tx, { broadcasterId: payment.broadcasterId, userId: payment.purchaserId, tier, message }, clock(), revenue)
    },
    async refund(tx, payment, refund) {
      const details = PaidSubscription.parse(payment.details)
      const row = await lockPaidFor(tx, payment, details)
      await announceRefund(tx, payment, refund, details.tier ?? row?.tier ?? '1000')
      if (!refund.full || row?.status !== 'active') return
      await tx.sql`update subscriptions set renews = false, next_tier = null, refunded_at = ${refund.refundedAt} where id = ${row.id}`
    },
    async fail(tx, payment) {
      const details = PaidSubscription.parse(payment.details)
      if (!('renewal' in details)) return
      const row = await lockPaidFor(tx, payment, details)
      if (row) await endSubscription(tx, row, 'payment_failed', clock())
    },
  }
}
