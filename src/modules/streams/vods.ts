import { mkdir, readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import { streamsError } from './errors.ts'
import type { Media } from './media.ts'
import { sizedStill } from './thumbnails.ts'
import { publish } from './publish.ts'

/** A VOD as routes show it. */
export type Vod = {
  id: string
  streamId: string
  userId: string
  login: string
  displayName: string
  title: string
  language: string
  status: 'processing' | 'ready' | 'failed'
  durationSeconds: number | null
  viewCount: number
  createdAt: Date
  publishedAt: Date | null
  file: string | null
}

type Row = {
  id: string
  stream_id: string
  user_id: string
  login: string
  display_name: string
  title: string
  language: string
  status: Vod['status']
  duration_seconds: number | null
  view_count: number
  created_at: Date
  published_at: Date | null
  file: string | null
}

const toVod = (row: Row): Vod => ({
  id: row.id,
  streamId: row.stream_id,
  userId: row.user_id,
  login: row.login,
  displayName: row.display_name,
  title: row.title,
  language: row.language,
  status: row.status,
  durationSeconds: row.duration_seconds,
  viewCount: row.view_count,
  createdAt: row.created_at,
  publishedAt: row.published_at,
  file: row.file,
})

/** Attempts at remuxing one recording before it is marked failed. */
export const REMUX_ATTEMPTS = 3
/** What nginx-rtmp's `record_unique on` names a recording of the stream renamed to a login. */
const RECORDING_NAME = /^([a-z0-9_]{1,25})-([0-9]{1,12})\.flv$/

export type Vods = {
  /** A recording of `login`'s latest live session is finished: it becomes a VOD to remux. Undefined when it belongs to no session. */
  recorded: (login: string, recording: string) => Promise<string | undefined>
  /**
   * Queues finished recordings whose on_record_done never arrived (the app was down when the
   * media server sent it); how many.
   */
  adoptUnannounced: () => Promise<number>
  /** Remuxes the oldest recording waiting: `none` waited, or how it went (a failure is retried at a later call). */
  remuxNext: (signal?: AbortSignal) => Promise<'none' | 'ready' | 'failed'>
  /** Ready VODs, newest first, by ids or of one user; `after` is the last id shown. */
  list: (query: { ids: string[]; userId?: string }, first: number, after?: string) => Promise<Vod[]>
  /** The MP4's path, for a ready VOD. */
  fileOf: (id: string) => Promise<string | undefined>
  /** The VOD's thumbnail at `size` (scaled from the still taken at its remux); undefined without one. */
  thumbnail: (id: string, size: { width: number; height: number }) => Promise<string | undefined>
  /** A playback of the VOD began: its view_count goes up by one. */
  played: (id: string) => Promise<void>
  /** Deletes the owner's VODs (and their files); the ids that were deleted. */
  remove: (ownerId: string, ids: string[]) => Promise<string[]>
}

/**
 * VODs: recordings remuxed to MP4 by a background job, then listed and served.
 *
 * @example
 * const vods = createVods(database, media, { recordingsDir: 'rec', mediaDir: 'media' })
 * await vods.recorded('ada', 'ada-1700000000.flv') // from on_record_done
 * await vods.remuxNext()                           // from the `vod-remux` job
 */
export function createVods(
  database: ModuleDatabase,
  media: Media,
  dirs: { recordingsDir: string; mediaDir: string },
  /** A recording untouched this long is finished, whether or not its on_record_done arrived. */
  settledMs = 30_000,
): Vods {
  const { sql } = database
  const vodsDir = join(dirs.mediaDir, 'vods')
  const stillOf = (id: string) => join(vodsDir, `${id}.jpg`)
  const select = sql`
    select v.id::text as id, v.stream_id::text as stream_id, v.broadcaster_id::text as user_id, b.login, b.display_name,
           v.title, v.language, v.status, v.duration_seconds, v.view_count, v.created_at, v.published_at, v.file
    from vods v join broadcasters b on b.user_id = v.broadcaster_id`

  const fail = async (id: string, error: unknown) => {
    const reason = (error as Error).message.slice(0, 500)
    await sql`
      update vods set attempts = attempts + 1, failure = ${reason},
             status = case when attempts + 1 >= ${REMUX_ATTEMPTS} then 'failed' else status end
      where id = ${id}::bigint`
  }

  /** A VOD to remux for a finished recording, in the live session it began in; undefined when it has none. */
  const createdFor = async (recording: string): Promise<string | undefined> => {
    const match = RECORDING_NAME.exec(recording)
    if (!match) throw streamsError('recording.invalid', 'Not a recording this media server writes')
    const [login, startedAt] = [match[1]!, Number(match[2])]
    const [row] = await sql<{ id: string }[]>`
      insert into vods (stream_id, broadcaster_id, title, language, recording)
      select s.id, s.broadcaster_id, c.title, c.broadcaster_language, ${recording}
      from broadcasters b
      join channels c on c.broadcaster_id = b.user_id
      -- The session the recording began in: record_unique names it after its start (unix seconds).
      join lateral (
        select id, broadcaster_id from streams
        where broadcaster_id = b.user_id and started_at <= to_timestamp(${startedAt}) + interval '5 seconds'
        order by started_at desc limit 1
      ) s on true
      where b.login = ${login}
      order by b.updated_at desc limit 1
      on conflict (recording) do nothing
      returning id::text as id`
    return row?.id
  }

  return {
    recorded: async (login, recording) => {
      if (!recording.startsWith(`${login}-`)) throw streamsError('recording.invalid', 'Not a recording of this stream')
      return createdFor(recording)
    },
    adoptUnannounced: async () => {
      const names = (await readdir(dirs.recordingsDir).catch(() => [] as string[])).filter((name) => RECORDING_NAME.test(name))
      if (names.length === 0) return 0
      const known = new Set(
        (await sql<{ recording: string }[]>`select recording from vods where recording = any(${names}::text[])`).map((r) => r.recording),
      )
      let adopted = 0
      for (const name of names.filter((n) => !known.has(n))) {
        const settled = (await stat(join(dirs.recordingsDir, name)).catch(() => undefined))?.mtimeMs
        if (settled === undefined || Date.now() - settled < settledMs) continue
        if (await createdFor(name)) adopted++
      }
      return adopted
    },
    remuxNext: async (signal) => {
      const [next] = await sql<{ id: string; recording: string }[]>`
        select id::text as id, recording from vods where status = 'processing' order by id limit 1`
      if (!next) return 'none'
      const file = `${next.id}.mp4`
      const output = join(vodsDir, file)
      try {
        await mkdir(vodsDir, { recursive: true })
        await media.remux(join(dirs.recordingsDir, next.recording), output, signal)
        const seconds = Math.round(await media.duration(output))
        // Its thumbnail: the first frame. A recording without video (audio only) is a VOD all the same.
        await media.still(output, stillOf(next.id)).catch(() => undefined)
        await database.transaction(async (tx) => {
          const [vod] = await tx.sql<{ stream_id: string; broadcaster_id: string; created_at: Date }[]>`
            update vods set status = 'ready', file = ${file}, duration_seconds = ${seconds}, published_at = now(), failure = null
            where id = ${next.id}::bigint and status = 'processing'
            returning stream_id::text as stream_id, broadcaster_id::text as broadcaster_id, created_at`
          if (!vod) return
          await publish(tx, 'streams.vod_created.v1', {
            vod_id: next.id,
            stream_id: vod.stream_id,
            broadcaster_id: vod.broadcaster_id,
            duration_seconds: seconds,
            created_at: vod.created_at.toISOString(),
          })
        })
      } catch (error) {
        await rm(output, { force: true })
        await rm(stillOf(next.id), { force: true })
        if (signal?.aborted) throw error
        await fail(next.id, error)
        return 'failed'
      }
      return 'ready'
    },
    list: async ({ ids, userId }, first, after) =>
      (
        await sql<Row[]>`
          ${select}
          where v.status = 'ready'
            ${ids.length > 0 ? sql`and v.id = any(${ids}::bigint[])` : sql``}
            ${userId ? sql`and v.broadcaster_id = ${userId}::bigint` : sql``}
            ${after ? sql`and v.id < ${after}::bigint` : sql``}
          order by v.id desc limit ${first + 1}`
      ).map(toVod),
    thumbnail: async (id, size) => {
      const [ready] = await sql`select 1 from vods where id = ${id}::bigint and status = 'ready'`
      return ready ? sizedStill(media, stillOf(id), size) : undefined
    },
    played: async (id) => {
      await sql`update vods set view_count = view_count + 1 where id = ${id}::bigint`
    },
    fileOf: async (id) => {
      const [row] = await sql<{ file: string }[]>`select file from vods where id = ${id}::bigint and status = 'ready'`
      return row ? join(vodsDir, row.file) : undefined
    },
    remove: async (ownerId, ids) => {
      const rows = await sql<{ id: string; file: string | null; recording: string }[]>`
        delete from vods where id = any(${ids}::bigint[]) and broadcaster_id = ${ownerId}::bigint
        returning id::text as id, file, recording`
      const files = rows.length > 0 ? await readdir(vodsDir).catch(() => [] as string[]) : []
      for (const row of rows) {
        if (row.file) await rm(join(vodsDir, row.file), { force: true })
        // The still and the sizes scaled from it.
        for (const name of files.filter((n) => n === `${row.id}.jpg` || n.startsWith(`${row.id}-`))) await rm(join(vodsDir, name), { force: true })
        await rm(join(dirs.recordingsDir, row.recording), { force: true })
      }
      return rows.map((r) => r.id)
    },
  }
}
