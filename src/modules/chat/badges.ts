import type { ChannelRoles, Subscriber } from './chat-services.ts'

/** What a sender is in a channel, as USERSTATE and PRIVMSG tags carry it. */
export type SenderState = {
  roles: ChannelRoles
  subscriber: Subscriber | undefined
  /** The tags in Twitch's order: `badge-info`, `badges`, then the flags. */
  badgeInfo: string
  badges: string
  mod: '0' | '1'
  vip: boolean
  /** `mod` for moderators, empty otherwise (the broadcaster's is empty too). */
  userType: '' | 'mod'
}

// Twitch's subscriber badge steps, in months; tiers 2 and 3 add 2000 / 3000 to the version.
const BADGE_MONTHS = [0, 3, 6, 9, 12, 18, 24, 30, 36, 42, 48, 54, 60, 66, 72, 78, 84, 90, 96, 102, 108, 114, 120]

function subscriberBadge(subscriber: Subscriber): string {
  const step = BADGE_MONTHS.filter((months) => months <= subscriber.months).at(-1) ?? 0
  const tier = subscriber.tier === '1000' ? 0 : Number(subscriber.tier)
  return `subscriber/${tier + step}`
}

/**
 * The badges of a sender, in Twitch's order: broadcaster, moderator, vip, subscriber (or founder).
 *
 * @example
 * senderState({ broadcaster: false, moderator: true, vip: false }, { tier: '1000', months: 7 })
 * // { badgeInfo: 'subscriber/7', badges: 'moderator/1,subscriber/6', mod: '1', userType: 'mod', … }
 */
export function senderState(roles: ChannelRoles, subscriber: Subscriber | undefined): SenderState {
  const badges: string[] = []
  if (roles.broadcaster) badges.push('broadcaster/1')
  if (roles.moderator) badges.push('moderator/1')
  if (roles.vip) badges.push('vip/1')
  if (subscriber) badges.push(subscriber.founder ? 'founder/0' : subscriberBadge(subscriber))
  return {
    roles,
    subscriber,
    badgeInfo: subscriber ? `${subscriber.founder ? 'founder' : 'subscriber'}/${subscriber.months}` : '',
    badges: badges.join(','),
    mod: roles.moderator ? '1' : '0',
    vip: roles.vip,
    userType: roles.moderator ? 'mod' : '',
  }
}
