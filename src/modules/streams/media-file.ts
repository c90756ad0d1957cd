import { z } from '@hono/zod-openapi'
import parseRange from 'range-parser'
import { problemResponses } from '../../platform/http/openapi.ts'
import { Problem } from '../../platform/http/problem.ts'

/** An MP4 answer: the whole file or the byte range a player seeks to. */
export type Mp4Answer = {
  status: 200 | 206
  body: ReadableStream<Uint8Array>
  headers: Record<string, string>
  /** It begins at the file's first byte: a playback starting, not a seek within one. */
  fromStart: boolean
}

const Binary = z.string().openapi({ format: 'binary' })

/** The OpenAPI answers of a route serving an MP4 with `mp4Answer`. */
export const MP4_RESPONSES = {
  200: { description: 'The whole MP4', content: { 'video/mp4': { schema: Binary } } },
  206: { description: 'The byte range asked for (`Range: bytes=…`), with Content-Range', content: { 'video/mp4': { schema: Binary } } },
  ...problemResponses(400, 404, 416),
}

/**
 * A file on disk answered as players fetch video: `Accept-Ranges: bytes`, the whole file
 * without a Range header, one byte range with 206 and Content-Range (browsers seek that way).
 * An unsatisfiable range is a 416 problem with `Content-Range: bytes *\/<size>`; a malformed
 * Range header, or several ranges, get the whole file, as RFC 9110 lets a server do.
 *
 */
function mp4Answer(file: Bun.BunFile, range: string | undefined): Mp4Answer {
  const size = file.size
  const whole: Mp4Answer = {
    status: 200,
    body: file.stream(),
    headers: { 'content-type': 'video/mp4', 'content-length': String(size), 'accept-ranges': 'bytes' },
    fromStart: true,
  }
  if (range === undefined) return whole
  const ranges = parseRange(size, range, { combine: true })
  if (ranges === -1) {
    throw new Problem(416, `No byte of this ${size}-byte file is in ${range.slice(0, 100)}`, {
      code: 'range.unsatisfiable',
      headers: { 'content-range': `bytes */${size}` },
    })
  }
  if (ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) return whole
  const { start, end } = ranges[0]!
  return {
    status: 206,
    body: file.slice(start, end + 1).stream(),
    headers: {
      'content-type': 'video/mp4',
      'content-length': String(end - start + 1),
      'content-range': `bytes ${start}-${end}/${size}`,
      'accept-ranges': 'bytes',
    },
    fromStart: start === 0,
  }
}

/**
 * The MP4 at `path` (undefined when there is none, or it is gone from disk) answered for
 * `range`; `played` is called for an answer from the first byte, a playback starting (a seek
 * asks for a later byte), so a view is counted once per playback rather than per request.
 *
 * @example
 * const answer = await servedMp4(await vods.fileOf(id), c.req.header('range'), () => vods.played(id))
 * if (!answer) throw streamsError('video.not_found', 'No ready VOD with this id')
 * return c.body(answer.body, answer.status, answer.headers)
 */
export async function servedMp4(path: string | undefined, range: string | undefined, played: () => Promise<void>): Promise<Mp4Answer | undefined> {
  const file = path === undefined ? undefined : Bun.file(path)
  if (!file || !(await file.exists())) return undefined
  const answer = mp4Answer(file, range)
  if (answer.fromStart) await played()
  return answer
}
