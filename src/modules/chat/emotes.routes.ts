import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import { etag } from 'hono/etag'
import type { AppEnv } from '../../platform/http/env.ts'
import { BigintId } from '../../platform/http/ids.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import { EMOTE_SCALES, SCALE_FIELDS, type EmoteScale, type EmoteSource } from './emote-images.ts'
import type { Emote, Emotes } from './emotes.ts'
import { chatError } from './errors.ts'

const IMAGE_PATH = '/api/chat/emotes/{{id}}/{{format}}/{{theme_mode}}/{{scale}}'
/** Room for the form's fields, part headers and boundaries beside its files. */
const FORM_OVERHEAD_BYTES = 16 * 1024

const HelixEmote = z.object({
  id: z.string(),
  name: z.string(),
  images: z.object({ url_1x: z.string(), url_2x: z.string(), url_4x: z.string() }).openapi({ description: 'The static image at each scale, as Helix gives it' }),
  tier: z.string().openapi({ description: "A sub emote's tier (1000, 2000, 3000); empty for everyone's" }),
  emote_type: z.enum(['globals', 'subscriptions', 'follower']),
  emote_set_id: z.string(),
  format: z.array(z.enum(['static', 'animated'])),
  scale: z.array(z.enum(EMOTE_SCALES)),
  theme_mode: z.array(z.enum(['light', 'dark'])),
})
const EmoteList = z.object({ data: z.array(HelixEmote), template: z.string() })

const EmoteName = z.string().regex(/^[A-Za-z0-9]{2,25}$/, '2 to 25 letters or digits')
const ImageFile = z.instanceof(File).openapi({ type: 'string', format: 'binary' })
const FILES = { image: ImageFile.optional(), image_1x: ImageFile.optional(), image_2x: ImageFile.optional(), image_4x: ImageFile.optional() }
type Files = { [K in keyof typeof FILES]?: File }
const ONE_OR_THREE = 'Send `image` (one square PNG or GIF, 112 to 4096 px, scaled here) or all of `image_1x`, `image_2x`, `image_4x` (28, 56, 112 px)'
const oneOrThree = (files: Files) => {
  const scales = Object.values(SCALE_FIELDS).filter((field) => files[field] !== undefined).length
  return files.image ? scales === 0 : scales === 3
}
const formBody = <S extends z.ZodType>(schema: S) => ({ required: true, content: { 'multipart/form-data': { schema } } }) as const
const GlobalEmoteForm = z.object({ name: EmoteName, ...FILES }).refine(oneOrThree, ONE_OR_THREE)
const ChannelEmoteForm = z.object({ name: EmoteName, tier: z.enum(['1000', '2000', '3000']).optional(), ...FILES }).refine(oneOrThree, ONE_OR_THREE)

/** Helix's view of an emote, its image URLs on this origin (`images` the static one at light, as Helix's are; one image serves both themes). */
function helixEmote(origin: string, emote: Emote): z.infer<typeof HelixEmote> {
  const url = (scale: string) => origin + IMAGE_PATH.replace('{{id}}', emote.id).replace('{{format}}', 'static').replace('{{theme_mode}}', 'light').replace('{{scale}}', scale)
  return {
    id: emote.id,
    name: emote.name,
    images: { url_1x: url('1.0'), url_2x: url('2.0'), url_4x: url('3.0') },
    tier: emote.tier ?? '',
    emote_type: emote.broadcasterId === null ? 'globals' : emote.tier ? 'subscriptions' : 'follower',
    emote_set_id: emote.broadcasterId === null ? '0' : `${emote.broadcasterId}:${emote.tier ?? 'follower'}`,
    format: emote.format === 'animated' ? ['static', 'animated'] : ['static'],
    scale: [...EMOTE_SCALES],
    theme_mode: ['light', 'dark'],
  }
}

const listOf = (origin: string, emotes: Emote[]) => ({ data: emotes.map((e) => helixEmote(origin, e)), template: origin + IMAGE_PATH })

/**
 * The upload's image bytes: one `image` of at most `maxBytes`, or the three sizes of at most
 * half that each (Twitch's 1 MB and 512 KB), refused by their size before any is decoded (the
 * whole body is bounded before it is read: `bodyLimit`).
 */
async function sourceOf(files: Files, maxBytes: number): Promise<EmoteSource> {
  const bytesOf = async (file: File, field: string, limit: number) => {
    if (file.size > limit) throw chatError('emote.too_large', `${field} is ${file.size} bytes, more than the ${limit} an emote's image may be`)
    return new Uint8Array(await file.arrayBuffer())
  }
  if (files.image) return { image: await bytesOf(files.image, 'image', maxBytes) }
  const scales = {} as Record<EmoteScale, Uint8Array>
  for (const scale of EMOTE_SCALES) {
    const field = SCALE_FIELDS[scale]
    scales[scale] = await bytesOf(files[field]!, field, Math.floor(maxBytes / 2))
  }
  return { scales }
}

/**
 * Emotes over REST, as Helix's "Get Global Emotes" and "Get Channel Emotes", plus uploads as
 * `multipart/form-data` (an admin's to the global set, a broadcaster's to their channel) of an
 * image of at most `maxBytes`, and the images themselves at Helix's template path.
 */
export function emoteRoutes(emotes: Emotes, authenticated: MiddlewareHandler<AppEnv>, maxBytes: number) {
  const router = createRouter()
  // The three sizes at half `maxBytes` each, and the form around them.
  const bodyLimit = Math.ceil(maxBytes * 1.5) + FORM_OVERHEAD_BYTES
  const route = routeDefiner(authenticated)
  const origin = (url: string) => new URL(url).origin

  router.openapi(
    route({
      auth: 'none',
      operationId: 'getGlobalEmotes',
      method: 'get',
      path: '/api/chat/emotes/global',
      tags: ['chat'],
      summary: 'The emotes anyone may use in any channel (Helix "Get Global Emotes")',
      // Helix takes no parameters here: one given is a mistake worth a 400, not silence.
      request: { query: z.strictObject({}) },
      responses: {
        200: { description: 'The global emotes', content: { 'application/json': { schema: EmoteList } } },
        ...problemResponses(400),
      },
    }),
    async (c) => c.json(listOf(origin(c.req.url), await emotes.global()), 200),
  )

  router.openapi(
    route({
      auth: 'none',
      operationId: 'getChannelEmotes',
      method: 'get',
      path: '/api/chat/emotes',
      tags: ['chat'],
      summary: "A channel's own emotes, sub emotes with their tier (Helix \"Get Channel Emotes\")",
      request: { query: z.object({ broadcaster_id: BigintId }) },
      responses: {
        200: { description: "The channel's emotes", content: { 'application/json': { schema: EmoteList } } },
        ...problemResponses(400),
      },
    }),
    async (c) => c.json(listOf(origin(c.req.url), await emotes.ofChannel(c.req.valid('query').broadcaster_id)), 200),
  )

  router.openapi(
    route({
      auth: 'required',
      roles: ['admin'],
      operationId: 'uploadGlobalEmote',
      method: 'post',
      path: '/api/chat/emotes/global',
      tags: ['chat'],
      summary: 'Add an emote to the global set (admins): a form with its `name` and its image',
      bodyLimit,
      request: { body: formBody(GlobalEmoteForm) },
      responses: {
        201: { description: 'Added', content: { 'application/json': { schema: z.object({ data: z.array(HelixEmote) }) } } },
        ...problemResponses(400, 409, 415),
      },
    }),
    async (c) => {
      const { name, ...files } = c.req.valid('form')
      const emote = await emotes.upload({ broadcasterId: null, name, tier: null, source: await sourceOf(files, maxBytes) })
      return c.json({ data: [helixEmote(origin(c.req.url), emote)] }, 201)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'uploadChannelEmote',
      method: 'post',
      path: '/api/chat/emotes',
      tags: ['chat'],
      summary: 'Add an emote to your channel: a form with its `name`, its image and, for a sub emote, the `tier` (that tier and up may use it)',
      bodyLimit,
      request: {
        query: z.object({ broadcaster_id: BigintId }),
        body: formBody(ChannelEmoteForm),
      },
      responses: {
        201: { description: 'Added', content: { 'application/json': { schema: z.object({ data: z.array(HelixEmote) }) } } },
        ...problemResponses(400, 403, 409, 415),
      },
    }),
    async (c) => {
      const { broadcaster_id } = c.req.valid('query')
      if (c.var.auth.userId !== broadcaster_id) throw chatError('chat.not_broadcaster', 'Only the broadcaster adds emotes to their channel')
      const { name, tier, ...files } = c.req.valid('form')
      const emote = await emotes.upload({ broadcasterId: broadcaster_id, name, tier: tier ?? null, source: await sourceOf(files, maxBytes) })
      return c.json({ data: [helixEmote(origin(c.req.url), emote)] }, 201)
    },
  )

  router.openapi(
    route({
      auth: 'none',
      operationId: 'getEmoteImage',
      method: 'get',
      path: '/api/chat/emotes/{id}/{format}/{theme_mode}/{scale}',
      tags: ['chat'],
      summary: "An emote's image at Helix's template path: `static` a PNG, `animated` a GIF, `default` the animated one if there is one; both themes the same image",
      middleware: [etag()],
      request: {
        params: z.object({
          id: z.uuid(),
          format: z.enum(['static', 'animated', 'default']),
          theme_mode: z.enum(['light', 'dark']),
          scale: z.enum(EMOTE_SCALES),
        }),
      },
      responses: {
        200: {
          description: 'The image',
          content: {
            'image/png': { schema: z.string().openapi({ format: 'binary' }) },
            'image/gif': { schema: z.string().openapi({ format: 'binary' }) },
          },
        },
        304: { description: 'Not modified (If-None-Match named its ETag)' },
        ...problemResponses(400, 404),
      },
    }),
    async (c) => {
      const { id, format, scale } = c.req.valid('param')
      const found = await emotes.image(id, format, scale)
      if (!found) throw chatError('emote.not_found', `No ${format} image of emote ${id}`)
      // An emote's images never change under its id: caches may keep them.
      return c.body(new Uint8Array(found.image), 200, { 'content-type': found.contentType, 'cache-control': 'public, max-age=31536000, immutable' })
    },
  )

  return router
}
