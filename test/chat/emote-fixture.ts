/**
 * Emote images made with sharp (real PNGs and GIFs, animated ones with real frames) and the
 * multipart upload a dashboard's form sends.
 */
import sharp from 'sharp'
import type { ChatFixture } from './core-fixture.ts'

/** A square (or `width`×`height`) PNG of one colour, half transparent. */
export const png = (width: number, height = width, red = 200): Promise<Buffer> =>
  sharp({ create: { width, height, channels: 4, background: { r: red, g: 40, b: 90, alpha: 0.5 } } })
    .png()
    .toBuffer()

/** A looping GIF of `frames` frames, each a colour of its own (one frame: a still GIF). */
export async function gif(side: number, frames = 3): Promise<Buffer> {
  const pages = await Promise.all(Array.from({ length: frames }, (_, i) => png(side, side, (i * 37) % 256)))
  if (frames === 1) return sharp(pages[0]).gif().toBuffer()
  return sharp(pages, { join: { animated: true } })
    .gif({ loop: 0, delay: Array.from({ length: frames }, () => 100) })
    .toBuffer()
}

export type UploadForm = Record<string, string | Uint8Array | undefined>

/** The form as a browser builds it: strings as fields, bytes as files (named `<field>.png`, `application/octet-stream`). */
export function formOf(fields: UploadForm): FormData {
  const form = new FormData()
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue
    form.append(name, typeof value === 'string' ? value : new File([value], `${name}.png`, { type: 'application/octet-stream' }))
  }
  return form
}

/** POSTs the form to `path` with `token`; the answer. */
export const uploadEmote = (f: ChatFixture, path: string, token: string, fields: UploadForm) =>
  f.t.request(path, { method: 'POST', token, body: formOf(fields) })
