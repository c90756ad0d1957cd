/**
 * The users module's published language. Names carry a version: a change a consumer could
 * trip on is a new name (`….v2`), published beside the old one until nobody consumes it.
 * `z.object` drops fields it does not know, so adding a field is not such a change.
 */
import { z } from 'zod'

const id = z.string().min(1)
const timestamp = z.iso.datetime({ offset: true })
/**
 * Events about mutable state carry a `version` that increases with each change of that thing,
 * in commit order: keep the highest seen and ignore an event with a lower one (events of
 * different types, redeliveries and snapshots can arrive out of order). Added to the v1 events
 * as a required field rather than as v2s: nothing outside this repository consumes them yet.
 */
const version = z.number().int().positive()
/** Global roles; a string, not an enum, so a role added later does not break older consumers. */
const role = z.string().min(1)

export const usersEvents = {
  /** `version` is the profile's: 1 at registration, as `profile_updated` counts on from. */
  'users.registered.v1': z.object({
    user_id: id,
    login: z.string().min(1),
    display_name: z.string().min(1),
    created_at: timestamp,
    version,
  }),
  /**
   * The public profile as it now is, in full, so a projection can simply overwrite its copy —
   * when `version` (the profile's, per user) is above the one it holds.
   */
  'users.profile_updated.v1': z.object({
    user_id: id,
    login: z.string().min(1),
    display_name: z.string().min(1),
    profile_image_url: z.string(),
    offline_image_url: z.string(),
    version,
  }),
  /**
   * `version` increases with every change of the follower's follows: keep the highest seen
   * per pair.
   */
  'users.followed.v1': z.object({
    follower_id: id,
    followed_id: id,
    followed_at: timestamp,
    version,
  }),
  'users.unfollowed.v1': z.object({
    follower_id: id,
    followed_id: id,
    version,
  }),
  /** `version` increases with every grant or revoke of the user's roles: keep the highest per (user, role). */
  'users.role_granted.v1': z.object({
    user_id: id,
    role,
    /** Null when granted from the command line (`bun run admin:grant`), not by a user. */
    by_user_id: id.nullable(),
    version,
  }),
  'users.role_revoked.v1': z.object({
    user_id: id,
    role,
    by_user_id: id.nullable(),
    version,
  }),
  /**
   * The account is suspended (an admin's act): it cannot sign in and its sessions have ended.
   * A timed one ends by itself at `ends_at` (null: until reinstated): compare it with your clock
   * for the moment; `users.reinstated.v1` with `expired: true` follows within seconds. `version`
   * increases with every suspension or reinstatement of the user: keep the highest per user. A
   * second suspension replaces the first.
   */
  'users.suspended.v1': z.object({
    user_id: id,
    reason: z.string().min(1),
    ends_at: timestamp.nullable(),
    by_user_id: id.nullable(),
    version,
  }),
  /** The suspension was lifted before its end by an admin, or a timed one has ended (`expired`). */
  'users.reinstated.v1': z.object({
    user_id: id,
    /** Null when it expired. */
    by_user_id: id.nullable(),
    version,
    /** True when a timed suspension reached its `ends_at`; absent (false) in events published before it existed. */
    expired: z.boolean().default(false),
  }),
} as const

export type UsersEventType = keyof typeof usersEvents
export type UsersEvent<T extends UsersEventType> = z.output<(typeof usersEvents)[T]>
