import type { ModuleDatabase } from '../../platform/db/database.ts'
import { hasPgCode, PG } from '../../platform/db/errors.ts'
import { streamsError } from './errors.ts'
import { publish } from './publish.ts'

export type StartedRaid = { id: string; createdAt: Date; isMature: boolean }

export type Raids = {
  /** Starts `from`'s raid on `to` (both live, not the same channel); its countdown is `countdownSeconds`. */
  start: (fromId: string, toId: string) => Promise<StartedRaid>
  /** Cancels `from`'s pending raid. */
  cancel: (fromId: string) => Promise<void>
  /** Completes the raids whose countdown is over, each announcing the raider's viewer count; how many. */
  completeDue: () => Promise<number>
}

/**
 * Raids (Helix "Start a raid" / "Cancel a raid"): a countdown, then an event chat acts on.
 *
 * @example
 * const raids = createRaids(database, 90)
 * await raids.start('42', '43') // streams.raid_started.v1; 90 s later streams.raid_completed.v1
 */
export function createRaids(database: ModuleDatabase, countdownSeconds: number): Raids {
  const { sql } = database
  return {
    start: async (fromId, toId) => {
      if (fromId === toId) throw streamsError('raid.self', 'A channel cannot raid itself')
      try {
        return await database.transaction(async (tx) => {
          const [from] = await tx.sql`select 1 from streams where broadcaster_id = ${fromId}::bigint and ended_at is null`
          if (!from) throw streamsError('stream.not_live', 'Only a live broadcaster can raid')
          const [to] = await tx.sql<{ login: string; labels: string[] }[]>`
            select b.login, c.content_classification_labels as labels
            from streams s join broadcasters b on b.user_id = s.broadcaster_id join channels c on c.broadcaster_id = s.broadcaster_id
            where s.broadcaster_id = ${toId}::bigint and s.ended_at is null`
          if (!to) throw streamsError('raid.target_offline', 'The channel to raid is not live')
          const [raid] = await tx.sql<{ id: string; created_at: Date; completes_at: Date }[]>`
            insert into raids (from_broadcaster_id, to_broadcaster_id, completes_at)
            values (${fromId}::bigint, ${toId}::bigint, now() + make_interval(secs => ${countdownSeconds}))
            returning id::text as id, created_at, completes_at`
          await publish(tx, 'streams.raid_started.v1', {
            raid_id: raid!.id,
            from_broadcaster_id: fromId,
            to_broadcaster_id: toId,
            to_broadcaster_login: to.login,
            completes_at: raid!.completes_at.toISOString(),
          })
          return { id: raid!.id, createdAt: raid!.created_at, isMature: to.labels.length > 0 }
        })
      } catch (error) {
        if (hasPgCode(error, PG.uniqueViolation)) throw streamsError('raid.pending', 'This channel has a raid in progress already')
        throw error
      }
    },
    cancel: (fromId) =>
      database.transaction(async (tx) => {
        const [raid] = await tx.sql<{ id: string; to_broadcaster_id: string }[]>`
          update raids set status = 'canceled' where from_broadcaster_id = ${fromId}::bigint and status = 'pending'
          returning id::text as id, to_broadcaster_id::text as to_broadcaster_id`
        if (!raid) throw streamsError('raid.not_found', 'No raid in progress from this channel')
        await publish(tx, 'streams.raid_canceled.v1', { raid_id: raid.id, from_broadcaster_id: fromId, to_broadcaster_id: raid.to_broadcaster_id })
      }),
    completeDue: () =>
      database.transaction(async (tx) => {
        const done = await tx.sql<{ id: string; from_id: string; to_id: string; login: string; viewer_count: number }[]>`
          update raids r set status = 'completed',
                 viewer_count = coalesce((select viewer_count from streams where broadcaster_id = r.from_broadcaster_id and ended_at is null), 0)
          from broadcasters b
          where b.user_id = r.to_broadcaster_id and r.status = 'pending' and r.completes_at <= now()
          returning r.id::text as id, r.from_broadcaster_id::text as from_id, r.to_broadcaster_id::text as to_id, b.login, r.viewer_count`
        for (const raid of done) {
          await publish(tx, 'streams.raid_completed.v1', {
            raid_id: raid.id,
            from_broadcaster_id: raid.from_id,
            to_broadcaster_id: raid.to_id,
            to_broadcaster_login: raid.login,
            viewer_count: raid.viewer_count,
          })
        }
        return done.length
      }),
  }
}
