import { z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../../platform/http/env.ts'
import { BigintId } from '../../platform/http/ids.ts'
import { problemResponses } from '../../platform/http/openapi.ts'
import { Problem } from '../../platform/http/problem.ts'
import { routeDefiner } from '../../platform/http/route.ts'
import { createRouter } from '../../platform/http/router.ts'
import { ModeratedChannelQuery, type ModerationRequests } from './moderation-requests.ts'
import type { Moderation } from './moderation.ts'
import { ROOM_SETTING_LIMITS, type RoomSettings, type RoomSettingsStore } from './room-settings.ts'

const SettingsView = z.object({
  broadcaster_id: z.string(),
  slow_mode: z.boolean(),
  slow_mode_wait_time: z.number().int().nullable(),
  follower_mode: z.boolean(),
  follower_mode_duration: z.number().int().nullable(),
  subscriber_mode: z.boolean(),
  emote_mode: z.boolean(),
  unique_chat_mode: z.boolean(),
  moderator_id: z.string().optional().openapi({ description: 'Given when the caller moderates the channel, as the chat delay' }),
  non_moderator_chat_delay: z.boolean().optional(),
  non_moderator_chat_delay_duration: z.number().int().nullable().optional(),
})

const { slowModeWaitTime: slow, followerModeDuration: followers, nonModeratorChatDelayDuration: delays } = ROOM_SETTING_LIMITS
const SettingsChange = z
  .strictObject({
    slow_mode: z.boolean().optional(),
    slow_mode_wait_time: z.number().int().min(slow.min).max(slow.max).nullable().optional(),
    follower_mode: z.boolean().optional(),
    follower_mode_duration: z.number().int().min(followers.min).max(followers.max).nullable().optional(),
    subscriber_mode: z.boolean().optional(),
    emote_mode: z.boolean().optional(),
    unique_chat_mode: z.boolean().optional(),
    non_moderator_chat_delay: z.boolean().optional(),
    non_moderator_chat_delay_duration: z
      .union(delays.map((d) => z.literal(d)) as [z.ZodLiteral<2>, z.ZodLiteral<4>, z.ZodLiteral<6>])
      .nullable()
      .optional(),
  })
  .openapi('ChatSettingsChange')
type Change = z.infer<typeof SettingsChange>

const view = (broadcasterId: string, s: RoomSettings, moderatorId: string | undefined): z.infer<typeof SettingsView> => ({
  broadcaster_id: broadcasterId,
  slow_mode: s.slowModeWaitTime !== null,
  slow_mode_wait_time: s.slowModeWaitTime,
  follower_mode: s.followerModeDuration !== null,
  follower_mode_duration: s.followerModeDuration,
  subscriber_mode: s.subscriberMode,
  emote_mode: s.emoteMode,
  unique_chat_mode: s.uniqueChatMode,
  ...(moderatorId === undefined
    ? {}
    : {
        moderator_id: moderatorId,
        non_moderator_chat_delay: s.nonModeratorChatDelayDuration !== null,
        non_moderator_chat_delay_duration: s.nonModeratorChatDelayDuration,
      }),
})

/**
 * One Helix on/off pair (`slow_mode`, `slow_mode_wait_time`) as a setting: off is null, on takes
 * the given value, else the current one, else Helix's default. Contradictions are a 400.
 */
function timed(flag: boolean | undefined, value: number | null | undefined, current: number | null, fallback: number, names: [string, string]) {
  if (flag === false && typeof value === 'number') {
    throw new Problem(400, `Invalid body: ${names[1]}: must be left out or null when ${names[0]} is false`, {
      code: 'request.invalid',
      errors: [{ field: names[1], message: `must be left out or null when ${names[0]} is false` }],
    })
  }
  if (flag === false || value === null) return null
  if (typeof value === 'number') return value
  if (flag === true) return current ?? fallback
  return undefined
}

function changesOf(body: Change, current: RoomSettings): Partial<RoomSettings> {
  return {
    slowModeWaitTime: timed(body.slow_mode, body.slow_mode_wait_time, current.slowModeWaitTime, 30, ['slow_mode', 'slow_mode_wait_time']),
    followerModeDuration: timed(body.follower_mode, body.follower_mode_duration, current.followerModeDuration, 0, [
      'follower_mode',
      'follower_mode_duration',
    ]),
    nonModeratorChatDelayDuration: timed(body.non_moderator_chat_delay, body.non_moderator_chat_delay_duration, current.nonModeratorChatDelayDuration, 2, [
      'non_moderator_chat_delay',
      'non_moderator_chat_delay_duration',
    ]),
    subscriberMode: body.subscriber_mode,
    emoteMode: body.emote_mode,
    uniqueChatMode: body.unique_chat_mode,
  }
}

/** Helix's "Get Chat Settings" and "Update Chat Settings": the room's modes, changed as the chat commands change them. */
export function settingsRoutes(
  deps: { moderation: Moderation; settings: RoomSettingsStore; requests: ModerationRequests },
  authenticated: MiddlewareHandler<AppEnv>,
) {
  const { moderation, settings, requests } = deps
  const router = createRouter()
  const route = routeDefiner(authenticated)

  router.openapi(
    route({
      auth: 'required',
      operationId: 'getChatSettings',
      method: 'get',
      path: '/api/chat/settings',
      tags: ['chat'],
      summary: "A channel's chat modes; the chat delay too when moderator_id is the caller and moderates it (Helix \"Get Chat Settings\")",
      request: { query: z.object({ broadcaster_id: BigintId, moderator_id: BigintId.optional() }) },
      responses: {
        200: { description: 'The settings', content: { 'application/json': { schema: z.object({ data: z.array(SettingsView) }) } } },
        ...problemResponses(400, 403, 404),
      },
    }),
    async (c) => {
      const { broadcaster_id, moderator_id } = c.req.valid('query')
      const channel = await requests.channel(broadcaster_id)
      if (moderator_id !== undefined) await moderation.requireModerator(channel.id, requests.actingAs(c.var.auth.userId, moderator_id))
      return c.json({ data: [view(channel.id, await settings.get(channel.id), moderator_id)] }, 200)
    },
  )

  router.openapi(
    route({
      auth: 'required',
      operationId: 'updateChatSettings',
      method: 'patch',
      path: '/api/chat/settings',
      tags: ['chat'],
      summary: 'Change chat modes, announced to the room at once on every replica (Helix "Update Chat Settings")',
      request: {
        query: ModeratedChannelQuery,
        body: { required: true, content: { 'application/json': { schema: SettingsChange } } },
      },
      responses: {
        200: { description: 'The settings now', content: { 'application/json': { schema: z.object({ data: z.array(SettingsView) }) } } },
        ...problemResponses(400, 403, 404),
      },
    }),
    async (c) => {
      const { broadcaster_id, moderator_id } = c.req.valid('query')
      const actorId = requests.actingAs(c.var.auth.userId, moderator_id)
      const channel = await requests.channel(broadcaster_id)
      await moderation.requireModerator(channel.id, actorId)
      const changes = changesOf(c.req.valid('json'), await settings.get(channel.id))
      const { after } = await moderation.setModes(channel, actorId, changes)
      return c.json({ data: [view(channel.id, after, moderator_id)] }, 200)
    },
  )

  return router
}
