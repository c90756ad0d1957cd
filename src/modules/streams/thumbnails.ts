import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import { playlistSegments } from './clips.ts'
import type { Media } from './media.ts'

export type Thumbnails = {
  /** Takes a still of every live stream from its newest HLS segment; how many. */
  capture: () => Promise<number>
  /** The JPEG of `login`'s stream at `width`×`height` (scaled from the last still, then kept); undefined without a still. */
  file: (login: string, width: number, height: number) => Promise<string | undefined>
}

/**
 * Live thumbnails: a still from the HLS output every few minutes, served in the sizes asked for.
 *
 * @example
 * const thumbnails = createThumbnails(database, media, { hlsDir, mediaDir })
 * await thumbnails.capture()                     // the `thumbnails` job
 * await thumbnails.file('twitchdev', 440, 248)   // GET /api/streams/thumbnails/twitchdev/440x248.jpg
 */
export function createThumbnails(database: ModuleDatabase, media: Media, dirs: { hlsDir: string; mediaDir: string }): Thumbnails {
  const dir = join(dirs.mediaDir, 'thumbnails')
  const still = (login: string) => join(dir, `${login}.jpg`)
  return {
    capture: async () => {
      const live = await database.sql<{ login: string }[]>`
        select b.login from streams s join broadcasters b on b.user_id = s.broadcaster_id where s.ended_at is null`
      await mkdir(dir, { recursive: true })
      let taken = 0
      const failed: string[] = []
      for (const { login } of live) {
        const playlist = await readFile(join(dirs.hlsDir, login, 'index.m3u8'), 'utf8').catch(() => '')
        const newest = playlistSegments(playlist).at(-1)
        if (!newest) continue
        try {
          await media.still(join(dirs.hlsDir, login, newest.file), still(login))
        } catch (error) {
          // One stream's bad segment does not hold the others' stills; the run still reports it.
          failed.push(`${login}: ${(error as Error).message}`)
          continue
        }
        // Sizes scaled from the previous still are stale now.
        for (const name of await readdir(dir)) if (name.startsWith(`${login}-`)) await rm(join(dir, name), { force: true })
        taken++
      }
      if (failed.length > 0) throw new Error(`thumbnails failed for ${failed.join('; ')}`)
      return taken
    },
    file: (login, width, height) => sizedStill(media, still(login), { width, height }),
  }
}

/**
 * The JPEG `still` scaled to `size`, beside it as `<still>-<w>x<h>.jpg`, made again only when
 * the still is newer; undefined when there is no still.
 *
 * @example
 * await sizedStill(media, 'media/vods/7.jpg', { width: 320, height: 180 }) // 'media/vods/7-320x180.jpg'
 */
export async function sizedStill(media: Media, still: string, size: { width: number; height: number }): Promise<string | undefined> {
  const source = await stat(still).catch(() => undefined)
  if (!source) return undefined
  const sized = `${still.replace(/\.jpg$/, '')}-${size.width}x${size.height}.jpg`
  const made = await stat(sized).catch(() => undefined)
  if (!made || made.mtimeMs < source.mtimeMs) await media.still(still, sized, size)
  return sized
}
