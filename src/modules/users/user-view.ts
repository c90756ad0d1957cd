import { z } from '@hono/zod-openapi'
import type { Profile } from './profiles.ts'
import { BROADCASTER_TYPES } from './schema.ts'

/** A user as the API shows it, with Twitch Helix's field names. */
export const UserView = z
  .object({
    id: z.string().openapi({ example: '141981764' }),
    login: z.string().openapi({ example: 'twitchdev' }),
    display_name: z.string().openapi({ example: 'TwitchDev' }),
    type: z.literal(''),
    broadcaster_type: z.enum(BROADCASTER_TYPES),
    description: z.string(),
    profile_image_url: z.string(),
    offline_image_url: z.string(),
    created_at: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('User')

export type UserView = z.infer<typeof UserView>

export const toUserView = (row: Profile): UserView => ({
  id: String(row.id),
  login: row.login,
  display_name: row.displayName,
  type: '',
  broadcaster_type: row.broadcasterType,
  description: row.description,
  profile_image_url: row.profileImageUrl,
  offline_image_url: row.offlineImageUrl,
  created_at: row.createdAt.toISOString(),
})

/** Ids are positive bigint strings; anything else is a 400 before any query runs. */
export const UserId = z
  .string()
  .regex(/^[1-9][0-9]{0,17}$/, 'a user id (digits)')
  .openapi({ param: { name: 'id', in: 'path' }, example: '141981764' })
