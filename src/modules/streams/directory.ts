import type { Sql, TransactionSql } from 'postgres'
import type { ModuleDatabase } from '../../platform/db/database.ts'

/** A live stream as the directory lists it. */
export type LiveStream = {
  id: string
  userId: string
  login: string
  displayName: string
  gameId: string
  gameName: string
  title: string
  tags: string[]
  viewerCount: number
  startedAt: Date
  language: string
  labels: string[]
}

export type DirectoryFilter = { gameIds: string[]; languages: string[]; userIds: string[]; logins: string[] }
/** Where a listing is: the snapshot it pages through and the last position it showed. */
export type DirectoryPosition = readonly [generation: number, position: number]
export type DirectoryPage = { streams: LiveStream[]; next?: DirectoryPosition }

type Row = {
  id: string
  user_id: string
  login: string
  display_name: string
  game_id: string | null
  game_name: string | null
  title: string
  tags: string[]
  viewer_count: number
  started_at: Date
  broadcaster_language: string
  content_classification_labels: string[]
  generation: string
  position: string
}

const toStream = (row: Row): LiveStream => ({
  id: row.id,
  userId: row.user_id,
  login: row.login,
  displayName: row.display_name,
  gameId: row.game_id ?? '',
  gameName: row.game_name ?? '',
  title: row.title,
  tags: row.tags,
  viewerCount: row.viewer_count,
  startedAt: row.started_at,
  language: row.broadcaster_language,
  labels: row.content_classification_labels,
})

/** How long a listing may page through one snapshot; older cursors are refused. */
const SNAPSHOT_RETENTION_SECONDS = 600

/**
 * Writes a snapshot of the directory's order when it differs from the latest one: after every
 * go-live and end (in their transactions) and from the viewer job as counts move.
 */
export async function snapshotDirectory(sql: Sql | TransactionSql): Promise<void> {
  await sql`
    with ranked as (
      select coalesce(array_agg(id order by viewer_count desc, id), '{}') as ids from streams where ended_at is null
    )
    insert into directory_snapshots (stream_ids)
    select ids from ranked
    where ids is distinct from (select stream_ids from directory_snapshots order by generation desc limit 1)`
}

export type Directory = {
  /** One page of live streams by viewers, most first; `after` continues a listing in its snapshot. */
  page: (filter: DirectoryFilter, first: number, after?: DirectoryPosition) => Promise<DirectoryPage | undefined>
  /** Forgets snapshots no cursor may name any more (the latest is kept). */
  prune: () => Promise<void>
}

/**
 * The live directory (Helix "Get Streams"), paged through frozen snapshots of its order.
 *
 * @example
 * const directory = createDirectory(database)
 * const { streams, next } = (await directory.page({ gameIds: [], languages: [], userIds: [], logins: ['ada'] }, 20))!
 */
export function createDirectory(database: ModuleDatabase): Directory {
  const { sql } = database
  return {
    page: async (filter, first, after) => {
      const snapshot = after
        ? sql`select generation, stream_ids from directory_snapshots where generation = ${after[0]}
                and taken_at > now() - make_interval(secs => ${SNAPSHOT_RETENTION_SECONDS})`
        : sql`select generation, stream_ids from directory_snapshots order by generation desc limit 1`
      const rows = await sql<Row[]>`
        with d as (${snapshot})
        select s.id::text as id, s.broadcaster_id::text as user_id, b.login, b.display_name,
               c.game_id::text as game_id, g.name as game_name, c.title, c.tags, s.viewer_count, s.started_at,
               c.broadcaster_language, c.content_classification_labels, d.generation::text as generation, r.position::text as position
        from d
        cross join lateral unnest(d.stream_ids) with ordinality as r(stream_id, position)
        join streams s on s.id = r.stream_id and s.ended_at is null
        join channels c on c.broadcaster_id = s.broadcaster_id
        join broadcasters b on b.user_id = s.broadcaster_id
        left join categories g on g.id = c.game_id
        where r.position > ${after?.[1] ?? 0}
          ${filter.gameIds.length > 0 ? sql`and c.game_id = any(${filter.gameIds}::bigint[])` : sql``}
          ${filter.languages.length > 0 ? sql`and c.broadcaster_language = any(${filter.languages}::text[])` : sql``}
          ${
            // As Helix: the users named by id and by login, together.
            filter.userIds.length + filter.logins.length > 0
              ? sql`and (s.broadcaster_id = any(${filter.userIds}::bigint[]) or b.login = any(${filter.logins}::text[]))`
              : sql``
          }
        order by r.position
        limit ${first + 1}`
      if (after && rows.length === 0) {
        const [known] = await sql`${snapshot}`
        if (!known) return undefined
      }
      const shown = rows.slice(0, first)
      const last = shown.at(-1)
      return {
        streams: shown.map(toStream),
        next: rows.length > first && last ? [Number(last.generation), Number(last.position)] : undefined,
      }
    },
    prune: async () => {
      await sql`
        delete from directory_snapshots
        where taken_at < now() - make_interval(secs => ${SNAPSHOT_RETENTION_SECONDS + 60})
          and generation < (select max(generation) from directory_snapshots)`
    },
  }
}
