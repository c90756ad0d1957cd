import sharp from 'sharp'
import { chatError } from './errors.ts'

/** Helix's scales, and the side Twitch draws each at. */
export const EMOTE_SCALES = ['1.0', '2.0', '3.0'] as const
export type EmoteScale = (typeof EMOTE_SCALES)[number]
const EMOTE_SIDES: Record<EmoteScale, number> = { '1.0': 28, '2.0': 56, '3.0': 112 }
export type EmoteFormat = 'static' | 'animated'
/** The form field of each scale when the three are uploaded (Twitch's names). */
export const SCALE_FIELDS = { '1.0': 'image_1x', '2.0': 'image_2x', '3.0': 'image_4x' } as const satisfies Record<EmoteScale, string>

/** One image as served: a static one is a PNG, an animated one a GIF. */
export type EmoteImage = { format: EmoteFormat; scale: EmoteScale; contentType: 'image/png' | 'image/gif'; image: Uint8Array }

/** What was uploaded: one image that Ondes scales (Twitch's auto-resize), or the three sizes drawn by hand. */
export type EmoteSource = { image: Uint8Array } | { scales: Record<EmoteScale, Uint8Array> }

// Twitch's rules: one square source of 112 to 4096 px, or exactly 28, 56 and 112 px; an animated emote is a GIF of at most 60 frames.
const SOURCE_SIDE = { min: 112, max: 4096 }
const MAX_FRAMES = 60
/** Every frame is decoded, so a source's frames hold at most this many pixels in all (64 MiB as RGBA). */
const MAX_PIXELS = 4096 * 4096

type Kind = 'png' | 'gif'
type Inspected = { bytes: Uint8Array; kind: Kind; format: EmoteFormat; side: number }

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

/** PNG or GIF by the magic numbers, whatever the client called the file. */
function kindOf(bytes: Uint8Array): Kind | undefined {
  const starts = (magic: number[]) => magic.every((byte, i) => bytes[i] === byte)
  if (starts(PNG_SIGNATURE)) return 'png'
  const header = String.fromCharCode(...bytes.subarray(0, 6))
  return header === 'GIF87a' || header === 'GIF89a' ? 'gif' : undefined
}

/** An APNG names its animation (`acTL`) before its first image data; libvips would show its first frame only. */
function isAnimatedPng(bytes: Uint8Array): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let at = PNG_SIGNATURE.length; at + 8 <= bytes.length; at += 12 + view.getUint32(at)) {
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8))
    if (type === 'acTL') return true
    if (type === 'IDAT') return false
  }
  return false
}

/** What the bytes are once decoded: refused unless a square PNG or GIF within the frame and pixel limits. */
async function inspect(bytes: Uint8Array, what: string): Promise<Inspected> {
  const kind = kindOf(bytes)
  if (!kind) throw chatError('emote.unsupported_image', `${what} is not a PNG or a GIF`)
  if (kind === 'png' && isAnimatedPng(bytes)) throw chatError('emote.unsupported_image', `${what} is an animated PNG: an animated emote is a GIF`)
  const metadata = await sharp(bytes).metadata().catch(() => undefined)
  if (metadata?.format !== kind || !metadata.width) throw chatError('emote.unsupported_image', `${what} does not decode as a ${kind.toUpperCase()}`)
  const frames = metadata.pages ?? 1
  const { width } = metadata
  const height = metadata.pageHeight ?? metadata.height
  if (width !== height) throw chatError('emote.not_square', `An emote is square (${what} is ${width}×${height} px)`)
  if (frames > MAX_FRAMES) throw chatError('emote.too_many_frames', `An animated emote has at most ${MAX_FRAMES} frames (${what} has ${frames})`)
  if (width * height * frames > MAX_PIXELS) {
    throw chatError('emote.bad_dimensions', `${what}'s ${frames} frames of ${width} px hold more than ${MAX_PIXELS} pixels in all`)
  }
  return { bytes, kind, format: frames > 1 ? 'animated' : 'static', side: width }
}

/** The source at `side` px: its first frame as a PNG, or every frame as a GIF. */
async function render(source: Inspected, side: number, format: EmoteFormat): Promise<Uint8Array> {
  const animated = format === 'animated'
  const scaled = sharp(source.bytes, { animated, limitInputPixels: MAX_PIXELS }).resize(side, side)
  // GIF effort 4 of 10: a quarter of the default's time here, for files within a few per cent of its size.
  return (animated ? scaled.gif({ effort: 4 }) : scaled.png()).toBuffer().catch(() => {
    throw chatError('emote.unsupported_image', `The ${source.kind.toUpperCase()} does not decode (truncated or corrupt)`)
  })
}

/** The sources of each scale: one image for all three (112 to 4096 px), or three of exactly 28, 56 and 112 px of one kind. */
async function sourcesOf(upload: EmoteSource): Promise<Record<EmoteScale, Inspected>> {
  if ('image' in upload) {
    const source = await inspect(upload.image, 'The image')
    if (source.side < SOURCE_SIDE.min || source.side > SOURCE_SIDE.max) {
      throw chatError('emote.bad_dimensions', `An emote's image is ${SOURCE_SIDE.min} to ${SOURCE_SIDE.max} px a side (this one is ${source.side})`)
    }
    return { '1.0': source, '2.0': source, '3.0': source }
  }
  const entries = await Promise.all(
    EMOTE_SCALES.map(async (scale) => {
      const field = SCALE_FIELDS[scale]
      const source = await inspect(upload.scales[scale], field)
      if (source.side !== EMOTE_SIDES[scale]) throw chatError('emote.bad_dimensions', `${field} is ${EMOTE_SIDES[scale]} px a side (this one is ${source.side})`)
      return [scale, source] as const
    }),
  )
  const kinds = new Set(entries.map(([, source]) => `${source.kind} ${source.format}`))
  if (kinds.size > 1) throw chatError('emote.mismatched_images', `The three sizes are one kind of image, all static PNGs or all animated GIFs (these are ${[...kinds].join(', ')})`)
  return Object.fromEntries(entries) as Record<EmoteScale, Inspected>
}

/**
 * Checks an upload by its decoded bytes and renders Twitch's three scales: a static emote as
 * PNGs; an animated one as GIFs, still animated, and as PNGs of its first frame (Helix lists
 * both formats). Metadata the source carried (text chunks, EXIF) is not kept.
 *
 * @example
 * const { format, images } = await emoteImagesOf({ image: bytes }) // 'static', three PNGs of 28, 56, 112 px
 */
export async function emoteImagesOf(upload: EmoteSource): Promise<{ format: EmoteFormat; images: EmoteImage[] }> {
  const sources = await sourcesOf(upload)
  const format = sources['3.0'].format
  const formats: EmoteFormat[] = format === 'animated' ? ['static', 'animated'] : ['static']
  const images: EmoteImage[] = []
  // One after another: an upload is rare, and libvips already spreads each over the cores.
  for (const scale of EMOTE_SCALES) {
    for (const each of formats) {
      const image = await render(sources[scale], EMOTE_SIDES[scale], each)
      images.push({ format: each, scale, contentType: each === 'animated' ? 'image/gif' : 'image/png', image })
    }
  }
  return { format, images }
}
