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

const isFiltered = (filter: DirectoryFilter) => filter.gameIds.length + filter.languages.length + filter.userIds.length + filter.logins.length > 0

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

/**
 * How long a process serves the directory's front page (no filter, no cursor; one per `first`)
 * from memory: most listings are that page, and the order it shows moves at most once a second.
 */
const FRONT_PAGE_TTL_MS = 1000

/** Positions an unfiltered page reads past the ones it shows, for streams that ended since its snapshot. */
const WINDOW_SLACK = 10

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
  /** One page of live streams by viewers, most first; `after` continues a listing in its snapshot. The front page may be a second old. */
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
  const read = async (filter: DirectoryFilter, first: number, after?: DirectoryPosition): Promise<DirectoryPage | undefined> => {
    const snapshot = after
      ? sql`select generation, stream_ids from directory_snapshots where generation = ${after[0]}
              and taken_at > now() - make_interval(secs => ${SNAPSHOT_RETENTION_SECONDS})`
      : sql`select generation, stream_ids from directory_snapshots order by generation desc limit 1`
    const from = (after?.[1] ?? 0) + 1
    // Only the snapshot's positions from `from` to `to` (all when undefined) are joined: the planner
    // cannot know unnest's order, so it joins every listed stream before sorting for the limit.
    const query = (to: number | undefined) => sql<(Row & { total: number })[]>`
      with d as (${snapshot})
      select s.id::text as id, s.broadcaster_id::text as user_id, b.login, b.display_name,
             c.game_id::text as game_id, g.name as game_name, c.title, c.tags, s.viewer_count, s.started_at,
             c.broadcaster_language, c.content_classification_labels, d.generation::text as generation,
             (r.n + ${from} - 1)::text as position, cardinality(d.stream_ids) as total
      from d
      cross join lateral unnest(d.stream_ids[${from}::int : coalesce(${to ?? null}::int, cardinality(d.stream_ids))]) with ordinality as r(stream_id, n)
      join streams s on s.id = r.stream_id
      join channels c on c.broadcaster_id = s.broadcaster_id
      join broadcasters b on b.user_id = s.broadcaster_id
      left join categories g on g.id = c.game_id
      where s.ended_at is null
        ${filter.gameIds.length > 0 ? sql`and c.game_id = any(${filter.gameIds}::bigint[])` : sql``}
        ${filter.languages.length > 0 ? sql`and c.broadcaster_language = any(${filter.languages}::text[])` : sql``}
        ${
          // As Helix: the users named by id and by login, together.
          filter.userIds.length + filter.logins.length > 0
            ? sql`and (s.broadcaster_id = any(${filter.userIds}::bigint[]) or b.login = any(${filter.logins}::text[]))`
            : sql``
        }
      order by r.n
      limit ${first + 1}`
    // Unfiltered, a page is the next first + 1 positions, unless streams ended since the snapshot: then all of the rest.
    const to = isFiltered(filter) ? undefined : from + first + WINDOW_SLACK
    let rows = await query(to)
    if (to !== undefined && rows.length <= first && (rows[0]?.total ?? Number.POSITIVE_INFINITY) > to) rows = await query(undefined)
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
  }
  const front = new Map<number, { at: number; page: Promise<DirectoryPage | undefined> }>()
  return {
    page: (filter, first, after) => {
      if (after || isFiltered(filter)) return read(filter, first, after)
      const cached = front.get(first)
      if (cached && Date.now() - cached.at < FRONT_PAGE_TTL_MS) return cached.page
      const page = read(filter, first)
      front.set(first, { at: Date.now(), page })
      page.catch(() => front.delete(first))
      return page
    },
    prune: async () => {
      await sql`
        delete from directory_snapshots
        where taken_at < now() - make_interval(secs => ${SNAPSHOT_RETENTION_SECONDS + 60})
          and generation < (select max(generation) from directory_snapshots)`
    },
  }
}
