import type { ModuleDatabase } from '../../platform/db/database.ts'
import { snapshotDirectory } from './directory.ts'
import { publish } from './publish.ts'
import { minuteOf, type Viewers } from './viewers.ts'

/** User ids per viewer-minutes event: a channel with more viewers gets several events per minute. */
export const VIEWER_MINUTES_CHUNK = 1000
/** How far back a late job run still announces minutes (viewers are kept 10 minutes). */
const CATCH_UP_MINUTES = 8
const MINUTE_MS = 60_000

type Audience = {
  /** Writes each live stream's viewer count for the directory, and a new snapshot of its order if it moved. */
  refreshCounts: (now?: number) => Promise<void>
  /** Announces each finished minute of watching once (`streams.viewer_minutes.v1`), for every stream that had viewers. */
  publishMinutes: (now?: number) => Promise<number>
}

/**
 * The viewer jobs' work: counts into the directory, and viewer minutes as batched events.
 *
 * @example
 * const audience = createAudience(database, viewers)
 * jobs: [{ name: 'viewer-counts', everyMs: 5000, singleton: true, run: () => audience.refreshCounts() }]
 */
export function createAudience(database: ModuleDatabase, viewers: Viewers): Audience {
  const { sql } = database
  return {
    refreshCounts: async (now = Date.now()) => {
      const live = await sql<{ id: string }[]>`select id::text as id from streams where ended_at is null`
      const counts = await viewers.counts(live.map((s) => s.id), now)
      const ids = live.map((s) => s.id)
      await sql`
        update streams s set viewer_count = c.count
        from unnest(${ids}::bigint[], ${ids.map((id) => counts.get(id) ?? 0)}::int[]) as c(id, count)
        where s.id = c.id and s.viewer_count <> c.count`
      await snapshotDirectory(sql)
    },
    publishMinutes: async (now = Date.now()) => {
      const last = minuteOf(now) - MINUTE_MS
      const oldest = last - (CATCH_UP_MINUTES - 1) * MINUTE_MS
      const candidates = await sql<{ id: string; broadcaster_id: string; from: Date }[]>`
        select id::text as id, broadcaster_id::text as broadcaster_id,
               greatest(coalesce(viewer_minutes_through + interval '1 minute', date_trunc('minute', started_at)), ${new Date(oldest)}) as from
        from streams
        where (ended_at is null or ended_at > ${new Date(oldest)})
          and (viewer_minutes_through is null or viewer_minutes_through < ${new Date(last)})`
      let published = 0
      for (const stream of candidates) {
        for (let minute = minuteOf(stream.from.getTime()); minute <= last; minute += MINUTE_MS) {
          const watched = await viewers.minute(stream.id, minute)
          published += await database.transaction(async (tx) => {
            const [claimed] = await tx.sql`
              update streams set viewer_minutes_through = ${new Date(minute)}
              where id = ${stream.id}::bigint and (viewer_minutes_through is null or viewer_minutes_through < ${new Date(minute)})
              returning 1`
            if (!claimed || (watched.userIds.length === 0 && watched.anonymous === 0)) return 0
            const chunks = Math.max(1, Math.ceil(watched.userIds.length / VIEWER_MINUTES_CHUNK))
            for (let chunk = 0; chunk < chunks; chunk++) {
              await publish(tx, 'streams.viewer_minutes.v1', {
                stream_id: stream.id,
                broadcaster_id: stream.broadcaster_id,
                minute: new Date(minute).toISOString(),
                user_ids: watched.userIds.slice(chunk * VIEWER_MINUTES_CHUNK, (chunk + 1) * VIEWER_MINUTES_CHUNK),
                anonymous_viewers: chunk === 0 ? watched.anonymous : 0,
                chunk: chunk + 1,
                chunks,
              })
            }
            return chunks
          })
        }
      }
      return published
    },
  }
}
