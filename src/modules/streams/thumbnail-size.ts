import { z } from '@hono/zod-openapi'
import { Problem } from '../../platform/http/problem.ts'

/** The largest side a thumbnail may be asked for. */
export const MAX_THUMBNAIL_SIDE = 1920
const MIN_THUMBNAIL_SIDE = 16

/** A thumbnail's file name: its `thumbnail_url` with the width and height filled in. */
export const ThumbnailFile = z
  .string()
  .regex(/^[1-9][0-9]{0,3}x[1-9][0-9]{0,3}\.jpg$/, '<width>x<height>.jpg')
  .openapi({ example: '440x248.jpg' })

/**
 * The size a `ThumbnailFile` names; a 400 problem when a side is outside 16 to 1920.
 * @example
 * thumbnailSize('440x248.jpg') // { width: 440, height: 248 }
 */
export function thumbnailSize(file: string): { width: number; height: number } {
  const [, width, height] = /^(\d+)x(\d+)\.jpg$/.exec(file) ?? []
  const [w, h] = [Number(width), Number(height)]
  if (![w, h].every((side) => side >= MIN_THUMBNAIL_SIDE && side <= MAX_THUMBNAIL_SIDE)) {
    throw new Problem(400, `Invalid path parameter: size: width and height are ${MIN_THUMBNAIL_SIDE} to ${MAX_THUMBNAIL_SIDE}`, { code: 'request.invalid' })
  }
  return { width: w, height: h }
}

/** A JPEG answer, kept by caches for a minute. */
export function jpegResponse(path: string): { body: ReadableStream<Uint8Array>; headers: Record<string, string> } {
  const file = Bun.file(path)
  return { body: file.stream(), headers: { 'content-type': 'image/jpeg', 'content-length': String(file.size), 'cache-control': 'max-age=60' } }
}
