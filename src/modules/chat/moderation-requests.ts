import { z } from '@hono/zod-openapi'
import { BigintId } from '../../platform/http/ids.ts'
import type { ChatUsers } from './chat-users.ts'
import { chatError } from './errors.ts'
import type { Channel, Target } from './moderation.ts'

/** Helix's `broadcaster_id` and `moderator_id`, which must be the caller (the user access token's). */
export const ModeratedChannelQuery = z.object({
  broadcaster_id: BigintId.openapi({ description: "The channel's broadcaster" }),
  moderator_id: BigintId.openapi({ description: 'The broadcaster or one of their moderators: the caller' }),
})

/** Helix's repeatable `user_id` (up to 100), as one id or several. */
export const UserIds = z
  .preprocess((value) => (value === undefined ? undefined : [value].flat()), z.array(BigintId).min(1).max(100))
  .optional()
  .openapi({ description: 'Only these users (repeat the parameter, up to 100)' })

/**
 * What the moderation routes read from a request before acting: the channel and the user it
 * names (from chat's users projection), and that the caller acts as themselves.
 */
export function moderationRequests(users: ChatUsers) {
  return {
    /** `chat.broadcaster_not_found` for an id chat has no user for. */
    async channel(broadcasterId: string): Promise<Channel> {
      const user = await users.byId(broadcasterId)
      if (!user) throw chatError('chat.broadcaster_not_found', 'No broadcaster with this id')
      return { id: user.id, login: user.login }
    },
    /** `chat.user_not_found` for an id chat has no user for. */
    async target(userId: string): Promise<Target> {
      const user = await users.byId(userId)
      if (!user) throw chatError('chat.user_not_found', 'No user with this id')
      return { id: user.id, login: user.login }
    },
    /** The caller, who must be the `moderator_id` they name (Helix's rule for user access tokens). */
    actingAs(callerId: string, moderatorId: string): string {
      if (callerId !== moderatorId) throw chatError('chat.moderator_mismatch', 'moderator_id must be the user of the access token')
      return callerId
    },
  }
}

export type ModerationRequests = ReturnType<typeof moderationRequests>
