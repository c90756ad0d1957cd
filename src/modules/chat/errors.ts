import { domainErrors } from '../../platform/errors.ts'
import type { ProblemTable } from '../../platform/http/problem.ts'

/** The chat module's domain error codes and their HTTP statuses (on IRC they become `msg-id`s). */
export const CHAT_PROBLEMS = {
  'chat.not_moderator': 403, // only the broadcaster or a moderator of the channel may do this
  'chat.broadcaster_not_found': 404,
  // Moderation (commands answer these with Twitch's msg-ids: commands/refusals.ts).
  'chat.not_broadcaster': 403, // only the channel's broadcaster manages its moderators and VIPs
  'chat.moderator_mismatch': 403, // Helix: moderator_id must be the caller
  'chat.user_not_found': 400,
  'ban.already_banned': 400,
  'ban.broadcaster': 400,
  'ban.self': 400,
  'ban.duration': 400,
  'ban.moderator': 400,
  'ban.not_banned': 400,
  'ban.permanent': 400, // an untimeout of a permanent ban
  'message.not_found': 404,
  'message.broadcaster': 400,
  'message.moderator': 400,
  'message.too_old': 400,
  'moderator.already': 400,
  'moderator.banned': 400,
  'moderator.not_moderator': 400,
  'vip.already': 409,
  'vip.moderator': 422,
  'vip.banned': 422,
  'vip.not_vip': 400,
  'blocked_term.not_found': 404,
  // Emotes (emote-images.ts): an upload is a PNG or GIF whose bytes say so, square, of Twitch's sizes, under the size limit.
  'emote.unsupported_image': 415,
  'emote.not_square': 400,
  'emote.bad_dimensions': 400,
  'emote.too_many_frames': 400,
  'emote.mismatched_images': 400,
  'emote.too_large': 413,
  'emote.name_taken': 409,
  'emote.not_found': 404,
  // History and replay (history.ts): a stream chat never saw go live.
  'stream.not_found': 404,
} as const satisfies ProblemTable

/** A chat `DomainError`; a code missing from `CHAT_PROBLEMS` does not compile. */
export const chatError = domainErrors(CHAT_PROBLEMS)
