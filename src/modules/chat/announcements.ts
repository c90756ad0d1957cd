/**
 * What the other modules' events say in chat, as Twitch says it: USERNOTICEs with Twitch's
 * `msg-id`s, `system-msg` and `msg-param-*` tags (tmi.js fires `subscription`, `resub`,
 * `subgift`, `submysterygift` and `raided` from exactly these), and a redemption with user input
 * as the redeemer's PRIVMSG carrying `custom-reward-id`.
 *
 * An event handler has a transaction, not sockets: it writes its lines to chat_notices with its
 * inbox row, and `deliverNotices` (a job) sends them to the rooms — once per event, since a
 * redelivered event never reaches its handler again.
 */
import { streamsEvents } from '../../contracts/streams.ts'
import { subscriptionsEvents, type SubscriptionsEvent } from '../../contracts/subscriptions.ts'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import { DomainError } from '../../platform/errors.ts'
import { consume } from '../../platform/events/consume.ts'
import type { Transaction } from '../../platform/events/types.ts'
import { senderState } from './badges.ts'
import type { CommandContext, Subscriber } from './chat-services.ts'
import type { Fanout } from './fanout.ts'
import { formatLine } from './irc/message.ts'
import { projectSubscription } from './subscribers.ts'

/** Who a notice is from or about, as chat_users holds them. */
export type NoticeUser = { id: string; login: string; displayName: string; color: string }

/** Twitch's colours for `/announce`. */
export const ANNOUNCEMENT_COLORS = ['PRIMARY', 'BLUE', 'GREEN', 'ORANGE', 'PURPLE'] as const
export type AnnouncementColor = (typeof ANNOUNCEMENT_COLORS)[number]

const TIER_NAMES: Record<Subscriber['tier'], string> = { '1000': 'Tier 1', '2000': 'Tier 2', '3000': 'Tier 3' }
/**
 * A moment told this long after it happened is noise, not news: a snapshot replayed to chat
 * joining late, or a backlog after an outage. It is still projected, just not announced.
 */
export const NOTICE_STALE_AFTER_MS = 10 * 60_000
const fresh = (at: string) => Date.now() - Date.parse(at) < NOTICE_STALE_AFTER_MS

/** Who Twitch names the sender of an anonymous gift. */
const ANONYMOUS: NoticeUser = { id: '274598607', login: 'ananonymousgifter', displayName: 'AnAnonymousGifter', color: '' }

/** The tags every USERNOTICE carries, in Twitch's order, then the notice's own. */
function usernotice(
  room: NoticeUser,
  sender: NoticeUser,
  msgId: string,
  systemMsg: string,
  params: Record<string, string>,
  options: { message?: string; subscriber?: Subscriber; at?: Date } = {},
): string {
  const state = senderState({ broadcaster: sender.id === room.id, moderator: false, vip: false }, options.subscriber)
  const tags: Record<string, string> = {
    'badge-info': state.badgeInfo,
    badges: state.badges,
    color: sender.color,
    'display-name': sender.displayName,
    emotes: '',
    flags: '',
    id: crypto.randomUUID(),
    login: sender.login,
    mod: state.mod,
    'msg-id': msgId,
    ...params,
    'room-id': room.id,
    subscriber: options.subscriber ? '1' : '0',
    'system-msg': systemMsg,
    'tmi-sent-ts': String((options.at ?? new Date()).getTime()),
    'user-id': sender.id,
    'user-type': state.userType,
  }
  const message = options.message?.trim()
  return formatLine({ tags, prefix: 'tmi.twitch.tv', command: 'USERNOTICE', params: message ? [`#${room.login}`, message] : [`#${room.login}`] })
}

const plan = (room: NoticeUser, tier: Subscriber['tier']) => ({
  'msg-param-sub-plan-name': `Channel Subscription (${room.login})`,
  'msg-param-sub-plan': tier,
})

type Subscription = SubscriptionsEvent<'subscriptions.subscription_started.v1'>

/** `sub` (a first month) or `resub` (`cumulative_months` > 1), from the subscriber, with their message. */
export function subscriptionNotice(room: NoticeUser, user: NoticeUser, s: Subscription): string {
  const resub = s.cumulative_months > 1
  const tierName = TIER_NAMES[s.tier]
  const system = resub
    ? `${user.displayName} subscribed at ${tierName}. They've subscribed for ${s.cumulative_months} months, currently on a ${s.streak_months} month streak!`
    : `${user.displayName} subscribed at ${tierName}.`
  return usernotice(
    room,
    user,
    resub ? 'resub' : 'sub',
    system,
    {
      'msg-param-cumulative-months': String(s.cumulative_months),
      'msg-param-months': '0',
      'msg-param-multimonth-duration': '1',
      'msg-param-multimonth-tenure': '0',
      'msg-param-should-share-streak': resub ? '1' : '0',
      ...(resub ? { 'msg-param-streak-months': String(s.streak_months) } : {}),
      ...plan(room, s.tier),
      'msg-param-was-gifted': String(s.is_gift),
    },
    { message: s.message, subscriber: { tier: s.tier, months: s.cumulative_months } },
  )
}

/** `subgift`: the gifter (or AnAnonymousGifter) gave `recipient` a sub. */
export function giftNotice(room: NoticeUser, gifter: NoticeUser | undefined, recipient: NoticeUser, s: Subscription): string {
  const from = gifter ?? ANONYMOUS
  const who = gifter ? gifter.displayName : 'An anonymous user'
  return usernotice(room, from, 'subgift', `${who} gifted a ${TIER_NAMES[s.tier]} sub to ${recipient.displayName}!`, {
    'msg-param-gift-months': '1',
    'msg-param-months': String(s.cumulative_months),
    'msg-param-origin-id': s.subscription_id,
    'msg-param-recipient-display-name': recipient.displayName,
    'msg-param-recipient-id': recipient.id,
    'msg-param-recipient-user-name': recipient.login,
    ...plan(room, s.tier),
  })
}

/** `submysterygift`: `count` subs gifted to the community, said once before each recipient's `subgift`. */
export function communityGiftNotice(room: NoticeUser, gifter: NoticeUser | undefined, gift: SubscriptionsEvent<'subscriptions.gift_sent.v1'>): string {
  const from = gifter ?? ANONYMOUS
  const who = gifter ? gifter.displayName : 'An anonymous user'
  const total = gifter && gift.gifter_total_gifts > 0 ? ` They've gifted a total of ${gift.gifter_total_gifts} in the channel!` : ''
  return usernotice(room, from, 'submysterygift', `${who} is gifting ${gift.count} ${TIER_NAMES[gift.tier]} Subs to ${room.displayName}'s community!${total}`, {
    'msg-param-mass-gift-count': String(gift.count),
    'msg-param-origin-id': gift.gift_id,
    'msg-param-sender-count': String(gifter ? gift.gifter_total_gifts : 0),
    ...plan(room, gift.tier),
  })
}

/** `raid` in the raided room, from the raiding broadcaster. */
export function raidNotice(room: NoticeUser, raider: NoticeUser, viewers: number): string {
  return usernotice(room, raider, 'raid', `${viewers} raiders from ${raider.displayName} have joined!`, {
    'msg-param-displayName': raider.displayName,
    'msg-param-login': raider.login,
    'msg-param-profileImageURL': '',
    'msg-param-viewerCount': String(viewers),
  })
}

/** `announcement` (`/announce`, or Helix "Send Chat Announcement"), highlighted in `color`. */
export function announcementNotice(room: NoticeUser, sender: NoticeUser, message: string, color: AnnouncementColor): string {
  return usernotice(room, sender, 'announcement', '', { 'msg-param-color': color }, { message })
}

/** A redemption's user input, said by the redeemer, tagged with the reward (tmi.js fires `redeem`). */
export function redemptionLine(room: NoticeUser, user: NoticeUser, rewardId: string, input: string, at: Date): string {
  const state = senderState({ broadcaster: user.id === room.id, moderator: false, vip: false }, undefined)
  const tags = {
    'badge-info': state.badgeInfo,
    badges: state.badges,
    color: user.color,
    'custom-reward-id': rewardId,
    'display-name': user.displayName,
    emotes: '',
    'first-msg': '0',
    flags: '',
    id: crypto.randomUUID(),
    mod: state.mod,
    'returning-chatter': '0',
    'room-id': room.id,
    subscriber: '0',
    'tmi-sent-ts': String(at.getTime()),
    turbo: '0',
    'user-id': user.id,
    'user-type': state.userType,
  }
  return formatLine({ tags, prefix: `${user.login}!${user.login}@${user.login}.tmi.twitch.tv`, command: 'PRIVMSG', params: [`#${room.login}`, input] })
}

/** Chat's users by id, as `tx` sees them (a user chat has not heard of yet is missing). */
async function usersIn(tx: Transaction, ids: (string | null)[]): Promise<Map<string, NoticeUser>> {
  const wanted = [...new Set(ids.filter((id): id is string => id !== null && /^[1-9][0-9]{0,18}$/.test(id)))]
  const rows = wanted.length === 0 ? [] : await tx.sql<{ id: string; login: string; display_name: string; color: string | null }[]>`
    select user_id::text as id, login, display_name, color from chat_users where user_id in ${tx.sql(wanted)}`
  return new Map(rows.map((r) => [r.id, { id: r.id, login: r.login, displayName: r.display_name, color: r.color ?? '' }]))
}

const queue = (tx: Transaction, broadcasterId: string, line: string) =>
  tx.sql`insert into chat_notices (broadcaster_id, line) values (${broadcasterId}, ${line})`

/** Announces a subscription that was new to the projection, in the channel's room. */
async function announceSubscription(tx: Transaction, s: Subscription): Promise<void> {
  const users = await usersIn(tx, [s.broadcaster_id, s.user_id, s.gifter_id])
  const room = users.get(s.broadcaster_id)
  const user = users.get(s.user_id)
  // A room chat has never heard of has no name to send to; nobody is in it yet either.
  if (!room || !user) return
  if (s.is_gift) await queue(tx, room.id, giftNotice(room, s.gifter_id === null ? undefined : users.get(s.gifter_id), user, s))
  else await queue(tx, room.id, subscriptionNotice(room, user, s))
}

/** The handlers of the events chat announces (started and renewed also feed the subscribers projection). */
export const announcementsConsumed = {
  ...consume(subscriptionsEvents, {
    'subscriptions.subscription_started.v1': async (tx, { payload }) => {
      if ((await projectSubscription(tx, payload, { started: true })) && fresh(payload.occurred_at)) await announceSubscription(tx, payload)
    },
    // A renewal is announced (as a resub) only when the subscriber shares a message.
    'subscriptions.subscription_renewed.v1': async (tx, { payload }) => {
      if ((await projectSubscription(tx, payload)) && fresh(payload.occurred_at) && payload.message.trim() !== '') await announceSubscription(tx, payload)
    },
    'subscriptions.gift_sent.v1': async (tx, { payload }) => {
      // A gift to one named user is said by that user's subgift alone, as on Twitch.
      if (!payload.is_community || !fresh(payload.occurred_at)) return
      const users = await usersIn(tx, [payload.broadcaster_id, payload.gifter_id])
      const room = users.get(payload.broadcaster_id)
      const gifter = payload.is_anonymous || payload.gifter_id === null ? undefined : users.get(payload.gifter_id)
      if (room) await queue(tx, room.id, communityGiftNotice(room, gifter, payload))
    },
    'subscriptions.redemption_added.v1': async (tx, { payload, occurredAt }) => {
      if (payload.user_input.trim() === '' || !fresh(payload.redeemed_at)) return
      const users = await usersIn(tx, [payload.broadcaster_id, payload.user_id])
      const room = users.get(payload.broadcaster_id)
      const user = users.get(payload.user_id)
      if (room && user) await queue(tx, room.id, redemptionLine(room, user, payload.reward.id, payload.user_input, new Date(occurredAt)))
    },
  }),
  ...consume(streamsEvents, {
    'streams.raid_completed.v1': async (tx, { payload }) => {
      const users = await usersIn(tx, [payload.to_broadcaster_id, payload.from_broadcaster_id])
      const raider = users.get(payload.from_broadcaster_id)
      // The target's login comes with the event: the room has a name even if chat missed its profile.
      const room = users.get(payload.to_broadcaster_id) ?? {
        id: payload.to_broadcaster_id,
        login: payload.to_broadcaster_login,
        displayName: payload.to_broadcaster_login,
        color: '',
      }
      if (raider) await queue(tx, room.id, raidNotice(room, raider, payload.viewer_count))
    },
  }),
}

/**
 * Sends the queued notices to their rooms, oldest first, and forgets them; replicas share the
 * queue (`skip locked`). Sent before the delete commits: a crash in between sends a notice
 * twice rather than never.
 */
export async function deliverNotices(database: ModuleDatabase, fanout: Fanout): Promise<void> {
  for (;;) {
    const sent = await database.transaction(async (tx) => {
      const rows = await tx.sql<{ broadcaster_id: string; line: string }[]>`
        with sent as (
          delete from chat_notices where id in (select id from chat_notices order by id limit 500 for update skip locked)
          returning id, broadcaster_id, line
        )
        select broadcaster_id::text as broadcaster_id, line from sent order by id`
      for (const row of rows) fanout.toRoom(row.broadcaster_id, row.line)
      return rows.length
    })
    if (sent < 500) return
  }
}

/** Twitch's `/announce` and its coloured forms. */
const ANNOUNCE_COMMANDS: Record<string, AnnouncementColor> = {
  announce: 'PRIMARY',
  announceblue: 'BLUE',
  announcegreen: 'GREEN',
  announceorange: 'ORANGE',
  announcepurple: 'PURPLE',
}

/**
 * Moderation's `runCommand` with `/announce` (and `/announceblue` …) in front: a moderator's
 * announcement in the room; anyone else gets Twitch's `no_permission`.
 *
 * @example
 * services.runCommand = withAnnounce(moderation.services.runCommand, moderation.requireModerator)
 */
export function withAnnounce(
  runCommand: (context: CommandContext) => Promise<void>,
  requireModerator: (broadcasterId: string, userId: string) => Promise<unknown>,
): (context: CommandContext) => Promise<void> {
  return async (context) => {
    const color = ANNOUNCE_COMMANDS[context.name]
    if (color === undefined) return runCommand(context)
    const notice = (msgId: string, text: string) => context.reply(`@msg-id=${msgId} :tmi.twitch.tv NOTICE #${context.channelLogin} :${text}`)
    const message = context.args.join(' ').trim()
    if (message === '') return notice('usage_announce', `Usage: "/${context.name} <message>" - Call attention to your message with a highlight.`)
    try {
      await requireModerator(context.broadcasterId, context.sender.id)
    } catch (error) {
      if (error instanceof DomainError && error.code === 'chat.not_moderator') return notice('no_permission', "You don't have permission to perform that action.")
      throw error
    }
    const room = { id: context.broadcasterId, login: context.channelLogin, displayName: context.channelLogin, color: '' }
    context.fanout.toRoom(context.broadcasterId, announcementNotice(room, context.sender, message, color))
  }
}
