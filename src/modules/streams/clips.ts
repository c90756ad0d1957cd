import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import { streamsError } from './errors.ts'
import type { Media } from './media.ts'
import { publish } from './publish.ts'

export type Clip = {
  id: string
  broadcasterId: string
  broadcasterName: string
  creatorId: string
  vodId: string
  vodOffset: number | null
  gameId: string
  language: string
  title: string
  duration: number
  status: 'processing' | 'ready' | 'failed'
  failure: string | null
  viewCount: number
  createdAt: Date
}

type Row = {
  id: string
  broadcaster_id: string
  display_name: string
  creator_id: string
  vod_id: string | null
  vod_offset: number | null
  game_id: string
  language: string
  title: string
  duration: number
  status: Clip['status']
  failure: string | null
  view_count: number
  created_at: Date
}

const toClip = (row: Row): Clip => ({
  id: row.id,
  broadcasterId: row.broadcaster_id,
  broadcasterName: row.display_name,
  creatorId: row.creator_id,
  vodId: row.vod_id ?? '',
  vodOffset: row.vod_offset,
  gameId: row.game_id,
  language: row.language,
  title: row.title,
  duration: row.duration,
  status: row.status,
  failure: row.failure,
  viewCount: row.view_count,
  createdAt: row.created_at,
})

export const CLIP_ATTEMPTS = 3

/** The segments of an HLS playlist, oldest first, with their lengths. */
export function playlistSegments(playlist: string): { file: string; seconds: number }[] {
  const segments: { file: string; seconds: number }[] = []
  let seconds: number | undefined
  for (const line of playlist.split('\n').map((l) => l.trim())) {
    const extinf = /^#EXTINF:([0-9.]+)/.exec(line)
    if (extinf) seconds = Number(extinf[1])
    else if (line && !line.startsWith('#') && seconds !== undefined) {
      if (/^[A-Za-z0-9_-]+\.ts$/.test(line)) segments.push({ file: line, seconds })
      seconds = undefined
    }
  }
  return segments
}

export type Clips = {
  /** The last `duration` seconds of the broadcaster's live stream, as the HLS output holds them now. */
  fromLive: (broadcasterId: string, creatorId: string, duration: number) => Promise<string>
  /** `duration` seconds of a ready VOD of the broadcaster, ending `vodOffset` seconds in. */
  fromVod: (broadcasterId: string, creatorId: string, vodId: string, vodOffset: number, duration: number) => Promise<string>
  /** Cuts the oldest clip waiting: `none` waited, or how it went (a failure is retried at a later call). */
  cutNext: (signal?: AbortSignal) => Promise<'none' | 'ready' | 'failed'>
  list: (query: { ids: string[]; broadcasterId?: string }, first: number, after?: string) => Promise<Clip[]>
  fileOf: (id: string) => Promise<string | undefined>
  /** The clip's preview JPEG (Helix's 480×272), for a ready clip that has one. */
  thumbnailOf: (id: string) => Promise<string | undefined>
  /** A playback of the clip began: its view_count goes up by one. */
  played: (id: string) => Promise<void>
}

/** Helix's clip preview size (`…-preview-480x272.jpg`). */
const PREVIEW_SIZE = { width: 480, height: 272 }

/**
 * Clips, cut by ffmpeg in a background job from the live HLS output or from a VOD.
 *
 * @example
 * const clips = createClips(database, media, { hlsDir, mediaDir })
 * const id = await clips.fromLive('42', '7', 30) // status processing, then ready
 */
export function createClips(database: ModuleDatabase, media: Media, dirs: { hlsDir: string; mediaDir: string }): Clips {
  const { sql } = database
  const clipsDir = join(dirs.mediaDir, 'clips')
  const previewOf = (id: string) => join(clipsDir, `${id}-preview.jpg`)
  const vodsDir = join(dirs.mediaDir, 'vods')
  const newId = () => randomBytes(12).toString('base64url')

  const fail = async (id: string, error: unknown) => {
    const reason = (error as Error).message.slice(0, 500)
    await sql`
      update clips set attempts = attempts + 1, failure = ${reason},
             status = case when attempts + 1 >= ${CLIP_ATTEMPTS} then 'failed' else status end
      where id = ${id}`
  }

  return {
    fromLive: async (broadcasterId, creatorId, duration) => {
      const [live] = await sql<{ id: string; login: string; title: string; language: string; game_id: string | null }[]>`
        select s.id::text as id, b.login, c.title, c.broadcaster_language as language, c.game_id::text as game_id
        from streams s join broadcasters b on b.user_id = s.broadcaster_id join channels c on c.broadcaster_id = s.broadcaster_id
        where s.broadcaster_id = ${broadcasterId}::bigint and s.ended_at is null`
      if (!live) throw streamsError('stream.not_live', 'The broadcaster is not live')
      const playlist = await readFile(join(dirs.hlsDir, live.login, 'index.m3u8'), 'utf8').catch(() => '')
      const segments = playlistSegments(playlist)
      const taken: typeof segments = []
      let seconds = 0
      for (const segment of segments.toReversed()) {
        if (seconds >= duration) break
        taken.unshift(segment)
        seconds += segment.seconds
      }
      if (seconds < duration) throw streamsError('clip.too_early', `Only ${Math.floor(seconds)} s of this stream can be clipped yet`)
      const id = newId()
      await sql`
        insert into clips (id, broadcaster_id, creator_id, stream_id, title, language, game_id, duration, source)
        values (${id}, ${broadcasterId}::bigint, ${creatorId}::bigint, ${live.id}::bigint, ${live.title}, ${live.language}, ${live.game_id ?? ''},
                ${duration}, ${sql.json({ segments: taken.map((s) => join(live.login, s.file)), startSeconds: seconds - duration })})`
      return id
    },
    fromVod: async (broadcasterId, creatorId, vodId, vodOffset, duration) => {
      const [vod] = await sql<{ duration_seconds: number; title: string; language: string }[]>`
        select duration_seconds, title, language from vods
        where id = ${vodId}::bigint and broadcaster_id = ${broadcasterId}::bigint and status = 'ready'`
      if (!vod) throw streamsError('video.not_found', 'No ready VOD with this id on this channel')
      if (vodOffset < duration || vodOffset > vod.duration_seconds) {
        throw streamsError('clip.out_of_range', `vod_offset must be from duration (${duration}) to the VOD's length (${vod.duration_seconds})`, {
          errors: [{ field: 'vod_offset', message: 'out of range' }],
        })
      }
      const id = newId()
      await sql`
        insert into clips (id, broadcaster_id, creator_id, vod_id, vod_offset, title, language, duration)
        values (${id}, ${broadcasterId}::bigint, ${creatorId}::bigint, ${vodId}::bigint, ${vodOffset}, ${vod.title}, ${vod.language}, ${duration})`
      return id
    },
    cutNext: async (signal) => {
      const [next] = await sql<{ id: string; duration: number; vod_offset: number | null; vod_file: string | null; source: { segments: string[]; startSeconds: number } | null }[]>`
        select c.id, c.duration, c.vod_offset, v.file as vod_file, c.source
        from clips c left join vods v on v.id = c.vod_id
        where c.status = 'processing' order by c.created_at limit 1`
      if (!next) return 'none'
      const file = `${next.id}.mp4`
      const output = join(clipsDir, file)
      try {
        await mkdir(clipsDir, { recursive: true })
        if (next.source) {
          await media.cut(next.source.segments.map((s) => join(dirs.hlsDir, s)), next.source.startSeconds, next.duration, output, signal)
        } else if (next.vod_file && next.vod_offset !== null) {
          await media.cut([join(vodsDir, next.vod_file)], next.vod_offset - next.duration, next.duration, output, signal)
        } else {
          throw new Error('its VOD was deleted')
        }
        await media.duration(output)
        // Its preview, as Helix sizes one; a clip without video (audio only) is a clip all the same.
        await media.still(output, previewOf(next.id), PREVIEW_SIZE).catch(() => undefined)
        await database.transaction(async (tx) => {
          const [clip] = await tx.sql<{ broadcaster_id: string; created_at: Date }[]>`
            update clips set status = 'ready', file = ${file}, failure = null where id = ${next.id} and status = 'processing'
            returning broadcaster_id::text as broadcaster_id, created_at`
          if (!clip) return
          await publish(tx, 'streams.clip_created.v1', {
            clip_id: next.id,
            broadcaster_id: clip.broadcaster_id,
            duration: next.duration,
            created_at: clip.created_at.toISOString(),
          })
        })
        return 'ready'
      } catch (error) {
        await rm(output, { force: true })
        await rm(previewOf(next.id), { force: true })
        if (signal?.aborted) throw error
        await fail(next.id, error)
        return 'failed'
      }
    },
    list: async ({ ids, broadcasterId }, first, after) =>
      (
        await sql<Row[]>`
          select c.id, c.broadcaster_id::text as broadcaster_id, b.display_name, c.creator_id::text as creator_id,
                 c.vod_id::text as vod_id, c.vod_offset, c.game_id, c.language, c.title, c.duration, c.status, c.failure,
                 c.view_count, c.created_at
          from clips c join broadcasters b on b.user_id = c.broadcaster_id
          where true
            ${ids.length > 0 ? sql`and c.id = any(${ids}::text[])` : sql``}
            ${broadcasterId ? sql`and c.broadcaster_id = ${broadcasterId}::bigint` : sql``}
            ${after ? sql`and c.id < ${after}` : sql``}
          order by c.id desc limit ${first + 1}`
      ).map(toClip),
    thumbnailOf: async (id) => {
      const [ready] = await sql`select 1 from clips where id = ${id} and status = 'ready'`
      return ready && (await Bun.file(previewOf(id)).exists()) ? previewOf(id) : undefined
    },
    played: async (id) => {
      await sql`update clips set view_count = view_count + 1 where id = ${id}`
    },
    fileOf: async (id) => {
      const [row] = await sql<{ file: string }[]>`select file from clips where id = ${id} and status = 'ready'`
      return row ? join(clipsDir, row.file) : undefined
    },
  }
}
