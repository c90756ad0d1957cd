import type { Sql, TransactionSql } from 'postgres'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import { subscriptionsError } from './errors.ts'

export const TIERS = ['1000', '2000', '3000'] as const
export type Tier = (typeof TIERS)[number]

/** The currencies a price may be in, with the bounds of a monthly price in their minor units. */
export const CURRENCIES = {
  USD: { min: 99, max: 99_999 },
  EUR: { min: 99, max: 99_999 },
  GBP: { min: 99, max: 99_999 },
  CAD: { min: 99, max: 99_999 },
  AUD: { min: 99, max: 99_999 },
  // No minor unit: yen are whole.
  JPY: { min: 100, max: 9_999_999 },
} as const
export type Currency = keyof typeof CURRENCIES

export type TierPrice = { tier: Tier; name: string; price: number; currency: Currency }

/** Twitch's US prices: 4.99, 9.99 and 24.99 USD. */
const DEFAULTS: Record<Tier, TierPrice> = {
  '1000': { tier: '1000', name: 'Tier 1', price: 499, currency: 'USD' },
  '2000': { tier: '2000', name: 'Tier 2', price: 999, currency: 'USD' },
  '3000': { tier: '3000', name: 'Tier 3', price: 2499, currency: 'USD' },
}

type TierRow = { tier: Tier; name: string; price_minor: number; currency: Currency }

/** A channel's three tiers: its own price and name where its broadcaster set one, the defaults elsewhere. */
export function createTiers(database: ModuleDatabase) {
  const { sql } = database
  /** `within`: a transaction's connection, so a caller holding one (a paid action under its key) needs no second. */
  const tiersOf = async (broadcasterId: string, within: Sql | TransactionSql = sql): Promise<TierPrice[]> => {
    const rows = await within<TierRow[]>`
      select tier, name, price_minor, currency from subscription_tiers where broadcaster_id = ${broadcasterId}`
    const own = new Map(rows.map((row) => [row.tier, { tier: row.tier, name: row.name, price: row.price_minor, currency: row.currency }]))
    return TIERS.map((tier) => own.get(tier) ?? DEFAULTS[tier])
  }
  return {
    tiersOf,
    /**
     * Changes a tier's name, price or currency (what is not given stays); the price must be
     * within its currency's bounds (`tier.price_out_of_range`). Subscriptions pay it from their
     * next renewal.
     */
    async change(broadcasterId: string, tier: Tier, change: Partial<Omit<TierPrice, 'tier'>>): Promise<TierPrice> {
      return database.transaction(async (tx) => {
        // The row locked (or made) first, so two changes of one tier merge one after the other.
        await tx.sql`
          insert into subscription_tiers (broadcaster_id, tier, name, price_minor, currency)
          values (${broadcasterId}, ${tier}, ${DEFAULTS[tier].name}, ${DEFAULTS[tier].price}, ${DEFAULTS[tier].currency})
          on conflict do nothing`
        const [current] = await tx.sql<TierRow[]>`
          select tier, name, price_minor, currency from subscription_tiers
          where broadcaster_id = ${broadcasterId} and tier = ${tier} for update`
        if (!current) throw new Error('tier row vanished under its lock')
        const next: TierPrice = {
          tier,
          name: change.name ?? current.name,
          price: change.price ?? current.price_minor,
          currency: change.currency ?? current.currency,
        }
        const bounds = CURRENCIES[next.currency]
        if (next.price < bounds.min || next.price > bounds.max) {
          throw subscriptionsError('tier.price_out_of_range', `A price in ${next.currency} is ${bounds.min} to ${bounds.max} minor units`, {
            errors: [{ field: 'price', message: `${bounds.min} to ${bounds.max} ${next.currency} minor units` }],
          })
        }
        await tx.sql`
          update subscription_tiers set name = ${next.name}, price_minor = ${next.price}, currency = ${next.currency}
          where broadcaster_id = ${broadcasterId} and tier = ${tier}`
        return next
      })
    },
  }
}

export type Tiers = ReturnType<typeof createTiers>
