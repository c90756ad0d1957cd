import type { Sql } from 'postgres'

/** A live session's viewers count while its newest minute is this recent. */
const CURRENT_MINUTES = 3

/** What is happening now across the platform: the admin totals and the business gauges read these. */
export function createCurrent(sql: Sql) {
  return {
    async liveStreams(): Promise<number> {
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from stream_analytics where started_at is not null and ended_at is null`
      return row?.n ?? 0
    },

    /** Signed-in and anonymous viewers of live streams, from each one's newest recent minute. */
    async viewers(): Promise<number> {
      const [row] = await sql<{ n: number }[]>`
        select coalesce(sum(m.viewers + m.anonymous_viewers), 0)::int as n
        from stream_analytics s
        cross join lateral (
          select viewers, anonymous_viewers from channel_minutes
          where broadcaster_id = s.broadcaster_id and minute >= greatest(date_trunc('minute', s.started_at), now() - make_interval(mins => ${CURRENT_MINUTES}))
          order by minute desc limit 1
        ) m
        where s.started_at is not null and s.ended_at is null`
      return row?.n ?? 0
    },

    /** Chat messages of the last complete minute, over every channel. */
    async chatMessagesLastMinute(): Promise<number> {
      const [row] = await sql<{ n: number }[]>`
        select coalesce(sum(messages), 0)::int as n from channel_minutes where minute = date_trunc('minute', now()) - interval '1 minute'`
      return row?.n ?? 0
    },

    async activeSubscriptions(): Promise<{ tier: string; count: number }[]> {
      return sql<{ tier: string; count: number }[]>`
        select t.tier, count(s.subscription_id)::int as count from unnest(array['1000', '2000', '3000']) as t(tier)
        left join subscription_states s on s.tier = t.tier and s.active and s.current_period_end > now()
        group by t.tier order by t.tier`
    },

    /** Running totals the ingest keeps: `follows`, `chat_messages`, `redemptions`, `revenue:<currency>`. */
    async totals(): Promise<Map<string, number>> {
      const rows = await sql<{ name: string; value: string }[]>`select name, value::text from analytics_totals`
      return new Map(rows.map((r) => [r.name, Number(r.value)]))
    },

    /** Seconds since each rollup was refreshed. */
    async rollupAges(): Promise<{ rollup: string; age: number }[]> {
      return sql<{ rollup: string; age: number }[]>`select rollup, extract(epoch from now() - refreshed_at)::float8 as age from rollup_refreshes order by rollup`
    },
  }
}

export type Current = ReturnType<typeof createCurrent>
