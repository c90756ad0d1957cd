/**
 * The users module's published language. Names carry a version: a change a consumer could
 * trip on is a new name (`….v2`), published beside the old one until nobody consumes it.
 * `z.object` drops fields it does not know, so adding a field is not such a change.
 */
import { z } from 'zod'

const id = z.string().min(1)
const timestamp = z.iso.datetime({ offset: true })
const followVersion = z.number().int().positive()
/** Global roles; a string, not an enum, so a role added later does not break older consumers. */
const role = z.string().min(1)

export const usersEvents = {
  'users.registered.v1': z.object({
    user_id: id,
    login: z.string().min(1),
    display_name: z.string().min(1),
    created_at: timestamp,
  }),
  /** The public profile as it now is, in full, so a projection can simply overwrite its copy. */
  'users.profile_updated.v1': z.object({
    user_id: id,
    login: z.string().min(1),
    display_name: z.string().min(1),
    profile_image_url: z.string(),
    offline_image_url: z.string(),
  }),
  /**
   * Follow changes can reach a consumer out of order (one stream per type; redeliveries).
   * `version` increases with every change of the follower's follows, in commit order: keep
   * the highest seen per pair and ignore an event with a lower one.
   */
  'users.followed.v1': z.object({
    follower_id: id,
    followed_id: id,
    followed_at: timestamp,
    version: followVersion,
  }),
  'users.unfollowed.v1': z.object({
    follower_id: id,
    followed_id: id,
    version: followVersion,
  }),
  'users.role_granted.v1': z.object({
    user_id: id,
    role,
    /** Null when granted from the command line (`bun run admin:grant`), not by a user. */
    by_user_id: id.nullable(),
  }),
  'users.role_revoked.v1': z.object({
    user_id: id,
    role,
    by_user_id: id.nullable(),
  }),
} as const

export type UsersEventType = keyof typeof usersEvents
export type UsersEvent<T extends UsersEventType> = z.output<(typeof usersEvents)[T]>
