import { z } from '@hono/zod-openapi'
import type { Profile } from './profiles.ts'
import { BROADCASTER_TYPES } from './schema.ts'

// One way to build API views in this module: services return domain rows (camelCase, `Date`s,
// `UserId` strings) and routes build the views (Helix's snake_case, ISO strings) with builders
// such as `toUserView`, kept here when two routes files share them, else in the routes file.

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

const MAX_BIGINT = 2n ** 63n - 1n

export const toUserView = (row: Profile): UserView => ({
  id: row.id,
  login: row.login,
  display_name: row.displayName,
  type: '',
  broadcaster_type: row.broadcasterType,
  description: row.description,
  profile_image_url: row.profileImageUrl,
  offline_image_url: row.offlineImageUrl,
  created_at: row.createdAt.toISOString(),
})

/**
 * Ids are positive bigint strings, kept as strings all the way to the query (exact beyond
 * 2^53); anything else, or anything past bigint's 9223372036854775807, is a 400 before any
 * query runs.
 */
export const UserId = z
  .string()
  .regex(/^[1-9][0-9]{0,18}$/, 'a user id (digits)')
  // Guarded: zod runs this check after a failed regex too, and BigInt('x') throws.
  .refine((id) => !/^[0-9]+$/.test(id) || BigInt(id) <= MAX_BIGINT, 'a user id (digits)')
  .openapi({ param: { name: 'id', in: 'path' }, example: '141981764' })
