import type { ModuleDatabase } from '../../../platform/db/database.ts'
import { subscriptionsError } from '../errors.ts'
import { publish } from '../publish.ts'
import type { Fulfilment } from '../purchases.ts'
import type { Currency } from '../tiers.ts'

/** What one donation may be, per currency, in minor units: from 1.00 (100 yen) to 10 000.00 (1 500 000 yen). */
export const DONATION_BOUNDS: Record<Currency, { min: number; max: number }> = {
  USD: { min: 100, max: 1_000_000 },
  EUR: { min: 100, max: 1_000_000 },
  GBP: { min: 100, max: 1_000_000 },
  CAD: { min: 100, max: 1_000_000 },
  AUD: { min: 100, max: 1_000_000 },
  JPY: { min: 100, max: 1_500_000 },
}

/** A donation purchase's own fields (`Purchase.details`). */
export type DonationDetails = { message: string; is_anonymous: boolean }

/** `donation.amount_out_of_range` unless `amount` is within `currency`'s bounds. */
export function checkDonationAmount(amount: number, currency: Currency): void {
  const { min, max } = DONATION_BOUNDS[currency]
  if (amount < min || amount > max) {
    throw subscriptionsError('donation.amount_out_of_range', `A donation in ${currency} is ${min} to ${max} minor units`, {
      errors: [{ field: 'amount', message: `${min} to ${max} ${currency} minor units` }],
    })
  }
}

/**
 * A confirmed donation payment becomes a donation and `donation_received`; each refund of it
 * (in full, or each part) adds what it gave back, negated, beside it (the donation stays) and
 * `donation_refunded` with that amount. Both run in the payment's confirming (refunding)
 * transaction, which runs each once.
 */
export const donationFulfilment: Fulfilment = {
  async fulfil(tx, payment) {
    const details = payment.details as DonationDetails
    const [donation] = await tx.sql<{ id: string; received_at: Date }[]>`
      insert into donations (payment_id, broadcaster_id, user_id, is_anonymous, amount, currency, message, received_at)
      values (${payment.paymentId}, ${payment.broadcasterId}, ${payment.purchaserId}, ${details.is_anonymous}, ${payment.amount},
        ${payment.currency}, ${details.message}, ${payment.confirmedAt})
      returning id, received_at`
    await publish(tx, 'subscriptions.donation_received.v1', {
      donation_id: donation!.id,
      broadcaster_id: payment.broadcasterId,
      user_id: details.is_anonymous ? null : payment.purchaserId,
      message: details.message,
      amount: payment.amount,
      currency: payment.currency,
      occurred_at: donation!.received_at.toISOString(),
    })
  },
  async refund(tx, payment, refund) {
    const [entry] = await tx.sql<{ id: string; donation_id: string }[]>`
      insert into donation_refunds (donation_id, amount, currency, refunded_at)
      select id, ${-refund.amount}, currency, ${refund.refundedAt} from donations where payment_id = ${payment.paymentId}
      returning id, donation_id`
    if (!entry) throw new Error(`refund of payment ${payment.paymentId}, which has no donation`)
    await publish(tx, 'subscriptions.donation_refunded.v1', {
      donation_id: entry.donation_id,
      refund_id: entry.id,
      broadcaster_id: payment.broadcasterId,
      amount: refund.amount,
      currency: payment.currency,
      occurred_at: refund.refundedAt.toISOString(),
    })
  },
}

export type DonationRow = {
  id: string
  broadcaster_id: string
  user_id: string
  is_anonymous: boolean
  amount: string
  currency: string
  message: string
  received_at: Date
  received_key: string
  amount_refunded: string
  refunded_at: Date | null
}

export const PERIODS = ['day', 'week', 'month', 'year', 'all'] as const
export type Period = (typeof PERIODS)[number]

export type LeaderboardEntry = { user_id: string; rank: number; score: number }

/** A channel's donations, newest first, and its top donors over a period. */
export function createDonations(database: ModuleDatabase) {
  const { sql } = database
  return {
    /** `subscription.channel_not_found` unless the users projection knows the broadcaster: nobody is paid who does not exist. */
    async requireChannel(broadcasterId: string): Promise<void> {
      const [known] = await sql`select 1 from subscription_users where user_id = ${broadcasterId}`
      if (!known) throw subscriptionsError('subscription.channel_not_found', 'No channel has this broadcaster_id')
    },

    /** `first + 1` rows after `cursor` (`[received_at::text, id]`), newest first, refunds beside. */
    async listOf(broadcasterId: string, first: number, cursor: readonly [string, string] | undefined): Promise<DonationRow[]> {
      return sql<DonationRow[]>`
        select d.id, d.broadcaster_id, d.user_id, d.is_anonymous, d.amount, d.currency, d.message, d.received_at,
          d.received_at::text as received_key, coalesce(-r.amount, 0) as amount_refunded, r.refunded_at
        from donations d
        left join lateral (select sum(amount) as amount, max(refunded_at) as refunded_at from donation_refunds where donation_id = d.id) r on true
        where d.broadcaster_id = ${broadcasterId}
          ${cursor ? sql`and (d.received_at, d.id) < (${cursor[0]}::timestamptz, ${cursor[1]}::uuid)` : sql``}
        order by d.received_at desc, d.id desc
        limit ${first + 1}`
    },

    /**
     * The `count` named donors who gave most in `currency` over the period holding `startedAt`
     * (UTC, as Helix's bits leaderboard), net of refunds; anonymous donations count for nobody.
     */
    async leaderboard(
      broadcasterId: string,
      query: { currency: Currency; period: Period; startedAt: Date; count: number },
    ): Promise<{ entries: LeaderboardEntry[]; range: { started_at: string; ended_at: string } | null }> {
      const { currency, period, startedAt, count } = query
      const [range] =
        period === 'all'
          ? [undefined]
          : await sql<{ started_at: Date; ended_at: Date }[]>`
              select date_trunc(${period}, ${startedAt}::timestamptz, 'UTC') as started_at,
                date_trunc(${period}, ${startedAt}::timestamptz, 'UTC') + ('1 ' || ${period})::interval as ended_at`
      const rows = await sql<{ user_id: string; score: string }[]>`
        select d.user_id, sum(d.amount + coalesce(r.amount, 0)) as score
        from donations d
        left join lateral (select sum(amount) as amount from donation_refunds where donation_id = d.id) r on true
        where d.broadcaster_id = ${broadcasterId} and d.currency = ${currency} and not d.is_anonymous
          ${range ? sql`and d.received_at >= ${range.started_at} and d.received_at < ${range.ended_at}` : sql``}
        group by d.user_id
        having sum(d.amount + coalesce(r.amount, 0)) > 0
        order by score desc, d.user_id
        limit ${count}`
      return {
        entries: rows.map((row, i) => ({ user_id: String(row.user_id), rank: i + 1, score: Number(row.score) })),
        range: range ? { started_at: range.started_at.toISOString(), ended_at: range.ended_at.toISOString() } : null,
      }
    },
  }
}

export type Donations = ReturnType<typeof createDonations>
