import type { Sql, TransactionSql } from 'postgres'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import { channelLock } from './buckets.ts'

/** What a stream session came to: its minutes' sums, its unique audience and its money per currency. */
export type SessionSummary = {
  stream_id: string
  broadcaster_id: string
  started_at: string
  ended_at: string | null
  duration_seconds: number
  peak_viewers: number
  average_viewers: number
  unique_viewers: number
  watch_minutes: number
  chat_messages: number
  unique_chatters: number
  follows: number
  new_subs: number
  gifted_subs: number
  donations: number
  redemptions: number
  raids_in: number
  raids_out: number
  /** Net of refunds, per currency, in minor units: never converted. */
  revenue: { currency: string; amount: number }[]
}

/** One minute of a stream's timeline. */
export type TimelineMinute = {
  minute: string
  viewers: number
  chatters: number
  messages: number
  follows: number
  new_subs: number
  gifted_subs: number
  donations: number
  redemptions: number
  raids_in: number
  raids_out: number
}

/** A stream session as served: its summary, whether it is final, and its minutes. */
export type StreamReport = { summary: SessionSummary; isFinal: boolean; timeline: TimelineMinute[] }

/** Viewers per viewed minute, two decimals: the one rounding every view of averages uses. */
export const averageViewers = (watchMinutes: number, minutesViewed: number) =>
  minutesViewed === 0 ? 0 : Math.round((watchMinutes / minutesViewed) * 100) / 100

/**
 * A session's minutes are its channel's from the minute it started up to (not including) its
 * end, or now while live: an event lands in the stream that was live at its time.
 */
const SESSION = (sql: Sql | TransactionSql, streamId: string) => sql`
  select stream_id, broadcaster_id, started_at, ended_at, date_trunc('minute', started_at) as from_minute,
         coalesce(ended_at, now()) as until, changes, summarized_changes, summary
  from stream_analytics where stream_id = ${streamId}::bigint and started_at is not null`

type SessionRow = {
  stream_id: string
  broadcaster_id: string
  started_at: Date
  ended_at: Date | null
  from_minute: Date
  until: Date
  changes: number
  summarized_changes: number | null
  summary: SessionSummary | null
}

/** The session's summary computed from its buckets now. */
async function computeSummary(sql: Sql | TransactionSql, s: SessionRow): Promise<SessionSummary> {
  const [agg] = await sql<Record<string, number>[]>`
    select count(*) filter (where viewers + anonymous_viewers > 0)::int as minutes_viewed,
           coalesce(max(viewers + anonymous_viewers), 0)::int as peak_viewers,
           coalesce(sum(viewers + anonymous_viewers), 0)::float8 as watch_minutes,
           coalesce(sum(messages), 0)::int as chat_messages, coalesce(sum(follows), 0)::int as follows,
           coalesce(sum(new_subs_1000 + new_subs_2000 + new_subs_3000), 0)::int as new_subs,
           coalesce(sum(gifted_subs_1000 + gifted_subs_2000 + gifted_subs_3000), 0)::int as gifted_subs,
           coalesce(sum(donations), 0)::int as donations, coalesce(sum(redemptions), 0)::int as redemptions,
           coalesce(sum(raids_in), 0)::int as raids_in, coalesce(sum(raids_out), 0)::int as raids_out,
           (select count(*)::int from stream_viewers where stream_id = ${s.stream_id}::bigint) as unique_viewers,
           (select count(distinct user_id)::int from chatter_minutes
             where broadcaster_id = ${s.broadcaster_id}::bigint and minute >= ${s.from_minute} and minute < ${s.until}) as unique_chatters
    from channel_minutes where broadcaster_id = ${s.broadcaster_id}::bigint and minute >= ${s.from_minute} and minute < ${s.until}`
  const revenue = await sql<{ currency: string; amount: number }[]>`
    select currency, sum(amount)::float8 as amount from revenue_analytics
    where broadcaster_id = ${s.broadcaster_id}::bigint and minute >= ${s.from_minute} and minute < ${s.until}
    group by currency order by currency`
  const a = agg!
  return {
    stream_id: s.stream_id,
    broadcaster_id: s.broadcaster_id,
    started_at: s.started_at.toISOString(),
    ended_at: s.ended_at?.toISOString() ?? null,
    duration_seconds: Math.max(0, Math.floor((s.until.getTime() - s.started_at.getTime()) / 1000)),
    peak_viewers: a.peak_viewers!,
    average_viewers: averageViewers(a.watch_minutes!, a.minutes_viewed!),
    unique_viewers: a.unique_viewers!,
    watch_minutes: a.watch_minutes!,
    chat_messages: a.chat_messages!,
    unique_chatters: a.unique_chatters!,
    follows: a.follows!,
    new_subs: a.new_subs!,
    gifted_subs: a.gifted_subs!,
    donations: a.donations!,
    redemptions: a.redemptions!,
    raids_in: a.raids_in!,
    raids_out: a.raids_out!,
    revenue,
  }
}

const readSession = async (sql: Sql | TransactionSql, streamId: string) => ((await SESSION(sql, streamId)) as unknown as SessionRow[])[0]

/** The sessions of the analytics database: reports, and the job that makes them final. */
export function createSessions(database: ModuleDatabase, lateEventsSeconds: number) {
  const { sql } = database
  return {
    /** The stream's report, or undefined when `online` has not reached analytics (yet). */
    async report(streamId: string): Promise<StreamReport | undefined> {
      const session = await readSession(sql, streamId)
      if (!session) return undefined
      const current = session.summary !== null && session.summarized_changes === session.changes
      const timeline = await sql<TimelineMinute[]>`
        select minute, viewers + anonymous_viewers as viewers, chatters, messages, follows,
               new_subs_1000 + new_subs_2000 + new_subs_3000 as new_subs, gifted_subs_1000 + gifted_subs_2000 + gifted_subs_3000 as gifted_subs,
               donations, redemptions, raids_in, raids_out
        from channel_minutes where broadcaster_id = ${session.broadcaster_id}::bigint and minute >= ${session.from_minute} and minute < ${session.until}
        order by minute`
      return {
        summary: current ? session.summary! : await computeSummary(sql, session),
        isFinal: current && session.ended_at !== null,
        timeline: timeline.map((m) => ({ ...m, minute: (m.minute as unknown as Date).toISOString() })),
      }
    },

    /** Whose stream it is, for the access check before reading it. */
    async broadcasterOf(streamId: string): Promise<string | undefined> {
      const [row] = await sql<{ broadcaster_id: string }[]>`
        select broadcaster_id::text from stream_analytics where stream_id = ${streamId}::bigint and started_at is not null`
      return row?.broadcaster_id
    },

    /**
     * Writes the summaries of sessions offline for `lateEventsSeconds` (their late events are
     * in) that have none or whose buckets changed since; returns how many. Each under its
     * channel's lock held alone (see `markLate`: an ingest in flight either commits first or
     * flags the summary written without it), then its row's, skipped when an ingest holds it
     * (the session stays due): this never waits while holding a lock, so never deadlocks.
     */
    async summarize(limit = 100): Promise<number> {
      const due = await sql<{ stream_id: string; broadcaster_id: string }[]>`
        select stream_id::text, broadcaster_id::text from stream_analytics
        where started_at is not null and ended_at is not null and ended_at <= now() - make_interval(secs => ${lateEventsSeconds})
          and summarized_changes is distinct from changes
        order by ended_at limit ${limit}`
      for (const { stream_id, broadcaster_id } of due) {
        await database.transaction(async (tx) => {
          await tx.sql`select pg_advisory_xact_lock(hashtextextended(${channelLock(broadcaster_id)}, 0))`
          const [locked] = await tx.sql`select 1 from stream_analytics where stream_id = ${stream_id}::bigint for update skip locked`
          if (!locked) return
          const session = await readSession(tx.sql, stream_id)
          if (!session) return
          const summary = await computeSummary(tx.sql, session)
          await tx.sql`
            update stream_analytics set summary = ${tx.sql.json(summary)}, summarized_at = now(), summarized_changes = ${session.changes}
            where stream_id = ${stream_id}::bigint`
        })
      }
      return due.length
    },
  }
}

export type Sessions = ReturnType<typeof createSessions>
