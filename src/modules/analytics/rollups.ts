import type { ModuleDatabase } from '../../platform/db/database.ts'
import { averageViewers } from './sessions.ts'

/** The materialized views of migrations/analytics, each with the unique index CONCURRENTLY needs, in the order they refresh. */
export const ROLLUPS = ['channel_daily', 'channel_monthly', 'revenue_daily', 'revenue_monthly'] as const
export type Rollup = (typeof ROLLUPS)[number]
export type Granularity = 'day' | 'month'

/** A channel's period, as `GET /api/analytics/channels/{id}` lists it. */
export type ChannelPeriod = {
  date: string
  minutes_viewed: number
  peak_viewers: number
  average_viewers: number
  watch_minutes: number
  unique_viewers: number
  unique_chatters: number
  chat_messages: number
  follows: number
  new_subs: { tier: string; count: number }[]
  gifted_subs: { tier: string; count: number }[]
  donations: number
  redemptions: number
  raids_in: number
  raids_out: number
}

/** A channel's money in a period from one source, tier and currency (refunds negative). */
export type RevenuePeriod = { date: string; source: string; tier: string; currency: string; amount: number; payments: number }

/** What a list's page asks for: at most `limit` items after the one whose sort key is `after`. */
export type Page<Key> = { limit: number; after?: Key }
/** A channel period's sort key: its date. */
export type ChannelKey = readonly [date: string]
/** A revenue entry's sort key. */
export type RevenueKey = readonly [date: string, source: string, tier: string, currency: string]
/** The sort keys of a period and of a revenue entry, as the next page's cursor holds them. */
export const channelKey = (p: ChannelPeriod): ChannelKey => [p.date]
export const revenueKey = (r: RevenuePeriod): RevenueKey => [r.date, r.source, r.tier, r.currency]

const TIERS = ['1000', '2000', '3000'] as const
const dateText = (value: Date) => value.toISOString().slice(0, 10)

/** The rollups: their refresh, their age, and the reads the channel routes make of them. */
export function createRollups(database: ModuleDatabase) {
  const { sql } = database
  const channelView = (g: Granularity) => sql(g === 'day' ? 'channel_daily' : 'channel_monthly')
  const revenueView = (g: Granularity) => sql(g === 'day' ? 'revenue_daily' : 'revenue_monthly')
  const period = (g: Granularity) => sql(g)
  return {
    /**
     * Refreshes every rollup CONCURRENTLY (reads go on meanwhile), the daily ones first (the
     * monthly ones sum them), and notes when, for `as_of`. Each on one core, without parallel
     * workers: a refresh is background work, and its workers would take every core from the reads.
     */
    async refresh(signal?: AbortSignal): Promise<void> {
      for (const rollup of ROLLUPS) {
        if (signal?.aborted) return
        const started = performance.now()
        await database.transaction(async (tx) => {
          await tx.sql`set local max_parallel_workers_per_gather = 0`
          await tx.sql`refresh materialized view concurrently ${tx.sql(rollup)}`
          await tx.sql`
            insert into rollup_refreshes (rollup, refreshed_at, duration_ms) values (${rollup}, now(), ${Math.round(performance.now() - started)})
            on conflict (rollup) do update set refreshed_at = excluded.refreshed_at, duration_ms = excluded.duration_ms`
        })
      }
    },

    /** When each rollup was last refreshed (absent: not yet since the database was made). */
    async refreshedAt(): Promise<Map<Rollup, Date>> {
      const rows = await sql<{ rollup: Rollup; refreshed_at: Date }[]>`select rollup, refreshed_at from rollup_refreshes`
      return new Map(rows.map((r) => [r.rollup, r.refreshed_at]))
    },

    /** A channel's periods from `from` to `to`, oldest first; with `page`, at most `limit` of them after the period `after`. */
    async channel(broadcasterId: string, g: Granularity, from: string, to: string, page?: Page<ChannelKey>): Promise<ChannelPeriod[]> {
      const rows = await sql<Record<string, number | Date | string>[]>`
        select *, ${period(g)} as date from ${channelView(g)}
        where broadcaster_id = ${broadcasterId}::bigint and ${period(g)} >= ${from}::date and ${period(g)} <= ${to}::date
          ${page?.after ? sql`and ${period(g)} > ${page.after[0]}::date` : sql``}
        order by ${period(g)} ${page ? sql`limit ${page.limit}` : sql``}`
      return rows.map((r) => ({
        date: dateText(r.date as Date),
        minutes_viewed: r.minutes_viewed as number,
        peak_viewers: r.peak_viewers as number,
        average_viewers: averageViewers(Number(r.watch_minutes), r.minutes_viewed as number),
        // bigint: text from postgres.js.
        watch_minutes: Number(r.watch_minutes),
        unique_viewers: r.unique_viewers as number,
        unique_chatters: r.unique_chatters as number,
        chat_messages: r.messages as number,
        follows: r.follows as number,
        new_subs: TIERS.map((tier) => ({ tier, count: r[`new_subs_${tier}`] as number })),
        gifted_subs: TIERS.map((tier) => ({ tier, count: r[`gifted_subs_${tier}`] as number })),
        donations: r.donations as number,
        redemptions: r.redemptions as number,
        raids_in: r.raids_in as number,
        raids_out: r.raids_out as number,
      }))
    },

    /**
     * A channel's revenue per period; `broadcasterId` undefined: the platform's, per currency and
     * source. Sorted by its key (`RevenueKey`); with `page`, at most `limit` entries after `after`.
     */
    async revenue(broadcasterId: string | undefined, g: Granularity, from: string, to: string, page?: Page<RevenueKey>): Promise<RevenuePeriod[]> {
      const after = page?.after
      const rows = await sql<(Omit<RevenuePeriod, 'date'> & { date: Date })[]>`
        select ${period(g)} as date, source, tier, currency, sum(amount)::float8 as amount, sum(payments)::int as payments
        from ${revenueView(g)}
        where ${period(g)} >= ${from}::date and ${period(g)} <= ${to}::date
          ${broadcasterId === undefined ? sql`` : sql`and broadcaster_id = ${broadcasterId}::bigint`}
          ${after ? sql`and (${period(g)}, source, tier, currency) > (${after[0]}::date, ${after[1]}, ${after[2]}, ${after[3]})` : sql``}
        group by 1, 2, 3, 4 order by 1, 2, 3, 4 ${page ? sql`limit ${page.limit}` : sql``}`
      return rows.map((r) => ({ ...r, date: dateText(r.date) }))
    },
  }
}

export type Rollups = ReturnType<typeof createRollups>
