import type { RateLimiter } from '../../platform/rate-limit.ts'
import type { Bans } from './bans.ts'
import type { BlockedTerms } from './blocked-terms.ts'
import type { ChannelRoles } from './chat-roles.ts'
import type { Follows } from './follows.ts'
import type { RoomSettingsStore } from './room-settings.ts'

/** Why a message was not accepted: Twitch's NOTICE `msg-id` and its text. */
export type Refusal = { msgId: string; text: string }

export type MessageCheck = {
  broadcasterId: string
  /** The channel's login, for the texts that name it. */
  channelLogin: string
  sender: { id: string; login: string }
  text: string
  /** Whether the text is emotes only (`emotesTag`'s `onlyEmotes`). */
  emoteOnly: boolean
  roles: ChannelRoles
  /** Whether the sender subscribes to the channel (chat-events' `subscriberOf`). */
  subscriber: boolean
  now: Date
}

export type MessageRules = {
  /** The refusal for this message, or undefined when the channel's rules let it through. */
  checkMessage: (input: MessageCheck) => Promise<Refusal | undefined>
}

/** How long unique-chat mode remembers a room's messages. */
const UNIQUE_CHAT_WINDOW_SECONDS = 600

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`

/** A follow age as Twitch words it: the largest whole unit (`3 months`, `2 days`, `15 minutes`). */
export function followAge(minutes: number): string {
  const units: [number, string][] = [
    [43_200, 'month'],
    [10_080, 'week'],
    [1_440, 'day'],
    [60, 'hour'],
  ]
  for (const [size, unit] of units) if (minutes >= size && minutes % size === 0) return plural(minutes / size, unit)
  return plural(minutes, 'minute')
}

/** Same words, different case or spacing: the same message, for unique-chat mode. */
const uniqueKey = (text: string) => new Bun.CryptoHasher('sha1').update(text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim()).digest('base64url')

/**
 * The channel rules a message meets before it is accepted, in Twitch's order: bans and
 * timeouts (for everyone but the broadcaster), then — for all but the broadcaster and the
 * channel's moderators — blocked terms, subscribers-only, followers-only, emote-only, unique
 * chat and slow mode. VIPs pass subscribers-only, followers-only and slow mode, as on Twitch.
 * Unique chat and slow mode count on the shared rate limiter (Redis across replicas), so a
 * chatter connected to two replicas has one window.
 *
 * @example
 * const rules = createMessageRules({ bans, settings, follows, terms, rateLimiter })
 * await rules.checkMessage({ broadcasterId: '42', channelLogin: 'ada', sender, text: 'hi', emoteOnly: false, roles, subscriber: false, now: new Date() })
 * // { msgId: 'msg_slowmode', text: 'This room is in slow mode and you are sending messages too quickly. You will be able to talk again in 12 seconds.' }
 */
export function createMessageRules(stores: {
  bans: Bans
  settings: RoomSettingsStore
  follows: Follows
  terms: BlockedTerms
  rateLimiter: RateLimiter
}): MessageRules {
  const { bans, settings, follows, terms, rateLimiter } = stores
  return {
    async checkMessage({ broadcasterId, channelLogin, sender, text, emoteOnly, roles, subscriber, now }) {
      if (roles.broadcaster) return undefined
      const ban = await bans.active(broadcasterId, sender.id, now)
      if (ban?.expiresAt === null) return { msgId: 'msg_banned', text: `You are permanently banned from talking in ${channelLogin}.` }
      if (ban?.expiresAt) {
        const seconds = Math.max(1, Math.ceil((ban.expiresAt.getTime() - now.getTime()) / 1000))
        return { msgId: 'msg_timedout', text: `You are timed out for ${seconds} more seconds.` }
      }
      if (roles.moderator) return undefined
      if (await terms.blocks(broadcasterId, text, now)) {
        return { msgId: 'msg_rejected_mandatory', text: "Your message wasn't posted due to conflicts with the channel's moderation settings." }
      }
      const modes = await settings.get(broadcasterId)
      if (modes.subscriberMode && !subscriber && !roles.vip) {
        return {
          msgId: 'msg_subsonly',
          text: `This room is in subscribers only mode. To talk, purchase a channel subscription at https://www.twitch.tv/products/${channelLogin}/ticket?ref=subscriber_only_mode_chat.`,
        }
      }
      if (modes.followerModeDuration !== null && !roles.vip) {
        const refusal = await followersOnly(modes.followerModeDuration)
        if (refusal) return refusal
      }
      if (modes.emoteMode && !emoteOnly) {
        return {
          msgId: 'msg_emoteonly',
          text: 'This room is in emote-only mode. You can find your currently available emoticons using the smiley in the chat text area.',
        }
      }
      const unique = modes.uniqueChatMode ? { name: 'chat-unique', limit: 1, windowSeconds: UNIQUE_CHAT_WINDOW_SECONDS } : undefined
      const uniqueKeyOf = `${broadcasterId}:${uniqueKey(text)}`
      if (unique && !(await rateLimiter.consume(unique, uniqueKeyOf)).allowed) {
        return { msgId: 'msg_r9k', text: 'This room is in unique-chat mode and the message you attempted to send is not unique.' }
      }
      if (modes.slowModeWaitTime !== null && !roles.vip) {
        const rule = { name: `chat-slow-${modes.slowModeWaitTime}`, limit: 1, windowSeconds: modes.slowModeWaitTime }
        const decision = await rateLimiter.consume(rule, `${broadcasterId}:${sender.id}`)
        if (!decision.allowed) {
          // Refused after all: the text stays free for another chatter.
          if (unique) await rateLimiter.release(unique, [uniqueKeyOf])
          return {
            msgId: 'msg_slowmode',
            text: `This room is in slow mode and you are sending messages too quickly. You will be able to talk again in ${decision.retryAfterSeconds} seconds.`,
          }
        }
      }
      return undefined

      async function followersOnly(duration: number): Promise<Refusal | undefined> {
        const followedAt = await follows.followedAt(broadcasterId, sender.id)
        if (!followedAt) {
          return duration === 0
            ? { msgId: 'msg_followersonly_zero', text: `This room is in followers-only mode. Follow ${channelLogin} to join the community!` }
            : { msgId: 'msg_followersonly', text: `This room is in ${followAge(duration)} followers-only mode. Follow ${channelLogin} to join the community!` }
        }
        const followedMinutes = Math.floor((now.getTime() - followedAt.getTime()) / 60_000)
        if (followedMinutes >= duration) return undefined
        return {
          msgId: 'msg_followersonly_followed',
          text: `This room is in ${followAge(duration)} followers-only mode. You have been following for ${followAge(Math.max(0, followedMinutes))}. Continue following to chat!`,
        }
      }
    },
  }
}
