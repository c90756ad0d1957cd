import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../../platform/http/env.ts'
import { BigintId } from '../../platform/http/ids.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import type { Emote, Emotes } from './emotes.ts'
import { chatError } from './errors.ts'

const IMAGE_PATH = '/api/chat/emotes/{{id}}/{{format}}/{{theme_mode}}/{{scale}}'
const SCALES = ['1.0', '2.0', '3.0'] as const

const HelixEmote = z.object({
  id: z.string(),
  name: z.string(),
  images: z.object({ url_1x: z.string(), url_2x: z.string(), url_4x: z.string() }),
  tier: z.string().openapi({ description: "A sub emote's tier (1000, 2000, 3000); empty for everyone's" }),
  emote_type: z.enum(['globals', 'subscriptions', 'follower']),
  emote_set_id: z.string(),
  format: z.array(z.enum(['static', 'animated'])),
  scale: z.array(z.enum(SCALES)),
  theme_mode: z.array(z.enum(['light', 'dark'])),
})
const EmoteList = z.object({ data: z.array(HelixEmote), template: z.string() })

const EmoteName = z.string().regex(/^[A-Za-z0-9]{2,25}$/, '2 to 25 letters or digits')
const ImageBody = {
  required: true,
  content: {
    'image/png': { schema: z.string().openapi({ format: 'binary' }) },
    'image/gif': { schema: z.string().openapi({ format: 'binary' }) },
  },
} as const

/** Helix's view of an emote, its image URLs on this origin (one image serves every scale and theme). */
function helixEmote(origin: string, emote: Emote): z.infer<typeof HelixEmote> {
  const format = emote.format
  const url = (scale: string) =>
    origin + IMAGE_PATH.replace('{{id}}', emote.id).replace('{{format}}', format).replace('{{theme_mode}}', 'dark').replace('{{scale}}', scale)
  return {
    id: emote.id,
    name: emote.name,
    images: { url_1x: url('1.0'), url_2x: url('2.0'), url_4x: url('3.0') },
    tier: emote.tier ?? '',
    emote_type: emote.broadcasterId === null ? 'globals' : emote.tier ? 'subscriptions' : 'follower',
    emote_set_id: emote.broadcasterId === null ? '0' : `${emote.broadcasterId}:${emote.tier ?? 'follower'}`,
    format: format === 'animated' ? ['static', 'animated'] : ['static'],
    scale: [...SCALES],
    theme_mode: ['light', 'dark'],
  }
}

const listOf = (origin: string, emotes: Emote[]) => ({ data: emotes.map((e) => helixEmote(origin, e)), template: origin + IMAGE_PATH })

/** The image bytes of a request, refused unless its Content-Type is one an emote may have. */
async function imageOf(request: { header: (name: string) => string | undefined; arrayBuffer: () => Promise<ArrayBuffer> }) {
  const contentType = (request.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (contentType !== 'image/png' && contentType !== 'image/gif') {
    throw chatError('emote.unsupported_image', 'Send the image as the body, with Content-Type image/png or image/gif')
  }
  return { contentType, image: new Uint8Array(await request.arrayBuffer()) }
}

/**
 * Emotes over REST, as Helix's "Get Global Emotes" and "Get Channel Emotes", plus uploads (an
 * admin's to the global set, a broadcaster's to their channel) of at most `maxBytes`, and the
 * images themselves at Helix's template path.
 */
export function emoteRoutes(emotes: Emotes, authenticated: MiddlewareHandler<AppEnv>, maxBytes: number) {
  const router = createRouter()
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
      summary: 'Add an emote to the global set (admins): the body is the PNG or GIF image',
      bodyLimit: maxBytes,
      request: { query: z.object({ name: EmoteName }), body: ImageBody },
      responses: {
        201: { description: 'Added', content: { 'application/json': { schema: z.object({ data: z.array(HelixEmote) }) } } },
        ...problemResponses(400, 409, 415),
      },
    }),
    async (c) => {
      const { name } = c.req.valid('query')
      const emote = await emotes.upload({ broadcasterId: null, name, tier: null, ...(await imageOf(c.req)) })
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
      summary: "Add an emote to your channel; with `tier`, a sub emote for that tier and up. The body is the PNG or GIF image",
      bodyLimit: maxBytes,
      request: {
        query: z.object({ broadcaster_id: BigintId, name: EmoteName, tier: z.enum(['1000', '2000', '3000']).optional() }),
        body: ImageBody,
      },
      responses: {
        201: { description: 'Added', content: { 'application/json': { schema: z.object({ data: z.array(HelixEmote) }) } } },
        ...problemResponses(400, 403, 409, 415),
      },
    }),
    async (c) => {
      const { broadcaster_id, name, tier } = c.req.valid('query')
      if (c.var.auth.userId !== broadcaster_id) throw chatError('chat.not_broadcaster', 'Only the broadcaster adds emotes to their channel')
      const emote = await emotes.upload({ broadcasterId: broadcaster_id, name, tier: tier ?? null, ...(await imageOf(c.req)) })
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
      summary: "An emote's image, at Helix's template path (one image serves every format, theme and scale)",
      request: {
        params: z.object({
          id: z.uuid(),
          format: z.enum(['static', 'animated', 'default']),
          theme_mode: z.enum(['light', 'dark']),
          scale: z.enum(SCALES),
        }),
      },
      responses: {
        200: { description: 'The image', content: { 'image/png': { schema: z.string().openapi({ format: 'binary' }) } } },
        ...problemResponses(400, 404),
      },
    }),
    async (c) => {
      const found = await emotes.image(c.req.valid('param').id)
      if (!found) throw chatError('emote.not_found', 'No such emote')
      // An emote's image never changes under its id: caches may keep it.
      return c.body(new Uint8Array(found.image), 200, { 'content-type': found.contentType, 'cache-control': 'public, max-age=31536000, immutable' })
    },
  )

  return router
}
