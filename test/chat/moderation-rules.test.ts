/** The channel rules a message meets (rules.ts), against real Postgres: each mode, bans and timeouts, blocked terms, follow age. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { resolve } from 'node:path'
import pino from 'pino'
import { createBans } from '../../src/modules/chat/bans.ts'
import { createBlockedTerms } from '../../src/modules/chat/blocked-terms.ts'
import type { ChannelRoles } from '../../src/modules/chat/chat-roles.ts'
import { createFollows, followProjection } from '../../src/modules/chat/follows.ts'
import { createRoomSettings } from '../../src/modules/chat/room-settings.ts'
import { createMessageRules, type MessageCheck } from '../../src/modules/chat/rules.ts'
import type { ModuleDatabase } from '../../src/platform/db/database.ts'
import { createInProcessPubSub } from '../../src/platform/pubsub/in-process.ts'
import { modulePubSub } from '../../src/platform/pubsub/module-pubsub.ts'
import { createMemoryRateLimiter } from '../../src/platform/rate-limit.ts'
import { deliver } from '../../src/platform/testing/events.ts'
import { openModuleDatabase } from '../../src/platform/testing/module-database.ts'

const chatModule = { name: 'chat', migrations: resolve(import.meta.dir, '../../migrations/chat'), consumes: followProjection }
const CHANNEL = '500'
const VIEWER = { id: '501', login: 'viewer' }
const viewer: ChannelRoles = { broadcaster: false, moderator: false, vip: false }

let opened: Awaited<ReturnType<typeof openModuleDatabase>>
let database: ModuleDatabase
let clock = Date.now()
const transport = createInProcessPubSub(pino({ level: 'silent' }))
const pubsub = modulePubSub(transport, 'chat')
let stores: ReturnType<typeof build>

function build() {
  const bans = createBans(database)
  const settings = createRoomSettings(database, pubsub)
  const terms = createBlockedTerms(database, pubsub)
  const follows = createFollows(database)
  const rules = createMessageRules({ bans, settings, terms, follows, rateLimiter: createMemoryRateLimiter(() => clock) })
  return { bans, settings, terms, rules }
}

beforeAll(async () => {
  opened = await openModuleDatabase(chatModule)
  database = opened.database
  stores = build()
}, 30_000)
afterAll(async () => {
  stores.settings.close()
  stores.terms.close()
  await opened.close()
})

const check = (overrides: Partial<MessageCheck> = {}) =>
  stores.rules.checkMessage({
    broadcasterId: CHANNEL,
    channelLogin: 'host',
    sender: VIEWER,
    text: `hello ${crypto.randomUUID()}`,
    emoteOnly: false,
    roles: viewer,
    subscriber: false,
    now: new Date(clock),
    ...overrides,
  })
const refusal = async (overrides: Partial<MessageCheck> = {}) => (await check(overrides))?.msgId
const reset = () =>
  stores.settings.update(CHANNEL, {
    slowModeWaitTime: null,
    followerModeDuration: null,
    subscriberMode: false,
    emoteMode: false,
    uniqueChatMode: false,
  })

describe('bans and timeouts', () => {
  test('a ban refuses everyone but the broadcaster, and an unban lifts it', async () => {
    const now = new Date(clock)
    expect(await stores.bans.ban(CHANNEL, VIEWER.id, { moderatorId: CHANNEL, reason: 'spam', now })).toMatchObject({ expiresAt: null, reason: 'spam' })
    expect(await check()).toEqual({ msgId: 'msg_banned', text: 'You are permanently banned from talking in host.' })
    expect(await refusal({ roles: { ...viewer, moderator: true } })).toBe('msg_banned')
    expect(await refusal({ sender: { id: CHANNEL, login: 'host' }, roles: { ...viewer, broadcaster: true } })).toBeUndefined()
    expect(await stores.bans.ban(CHANNEL, VIEWER.id, { moderatorId: CHANNEL, reason: '', seconds: 60, now })).toBe('already_banned')
    expect(await stores.bans.lift(CHANNEL, VIEWER.id, now, 'timeout')).toBe('permanent')
    expect(await stores.bans.lift(CHANNEL, VIEWER.id, now)).toBe('lifted')
    expect(await stores.bans.lift(CHANNEL, VIEWER.id, now)).toBe('not_banned')
    expect(await refusal()).toBeUndefined()
  })

  test('a timeout counts down and ends by itself; a new one replaces it', async () => {
    const now = new Date(clock)
    await stores.bans.ban(CHANNEL, VIEWER.id, { moderatorId: CHANNEL, reason: '', seconds: 10, now })
    expect(await check({ now: new Date(clock + 2500) })).toEqual({ msgId: 'msg_timedout', text: 'You are timed out for 8 more seconds.' })
    expect(await refusal({ now: new Date(clock + 10_001) })).toBeUndefined()
    // Over, so the next timeout is a new one, not an "already banned".
    const later = await stores.bans.ban(CHANNEL, VIEWER.id, { moderatorId: CHANNEL, reason: 'again', seconds: 1, now: new Date(clock + 20_000) })
    expect(later).toMatchObject({ reason: 'again' })
    expect(await refusal({ now: new Date(clock + 20_500) })).toBe('msg_timedout')
    expect(await refusal({ now: new Date(clock + 21_000) })).toBeUndefined()
    expect(await stores.bans.prune(new Date(clock + 21_000))).toBe(1)
  })
})

describe('room modes', () => {
  test('slow mode: one message per window, VIPs and moderators exempt', async () => {
    await reset()
    await stores.settings.update(CHANNEL, { slowModeWaitTime: 5 })
    expect(await refusal()).toBeUndefined()
    expect(await check()).toEqual({
      msgId: 'msg_slowmode',
      text: 'This room is in slow mode and you are sending messages too quickly. You will be able to talk again in 5 seconds.',
    })
    expect(await refusal({ roles: { ...viewer, vip: true } })).toBeUndefined()
    expect(await refusal({ roles: { ...viewer, moderator: true } })).toBeUndefined()
    clock += 5000
    expect(await refusal()).toBeUndefined()
    await stores.settings.update(CHANNEL, { slowModeWaitTime: null })
    expect(await refusal()).toBeUndefined()
  })

  test('subscribers-only lets subscribers, VIPs and moderators talk', async () => {
    await reset()
    await stores.settings.update(CHANNEL, { subscriberMode: true })
    expect(await refusal()).toBe('msg_subsonly')
    expect(await refusal({ subscriber: true })).toBeUndefined()
    expect(await refusal({ roles: { ...viewer, vip: true } })).toBeUndefined()
    expect(await refusal({ roles: { ...viewer, moderator: true } })).toBeUndefined()
  })

  test('emote-only takes messages that are only emotes', async () => {
    await reset()
    await stores.settings.update(CHANNEL, { emoteMode: true })
    expect(await refusal()).toBe('msg_emoteonly')
    expect(await refusal({ emoteOnly: true })).toBeUndefined()
    expect(await refusal({ roles: { ...viewer, moderator: true } })).toBeUndefined()
  })

  test('unique chat refuses a message the room has seen, whatever its case and spacing', async () => {
    await reset()
    await stores.settings.update(CHANNEL, { uniqueChatMode: true })
    expect(await refusal({ text: 'Same old words' })).toBeUndefined()
    expect(await check({ text: '  same   OLD words ', sender: { id: '502', login: 'other' } })).toMatchObject({ msgId: 'msg_r9k' })
    expect(await refusal({ text: 'Same old words', roles: { ...viewer, moderator: true } })).toBeUndefined()
  })

  test('a mode changed through one replica applies on another at once', async () => {
    await reset()
    const replica = build()
    expect(await replica.rules.checkMessage({ broadcasterId: CHANNEL, channelLogin: 'host', sender: VIEWER, text: 'x', emoteOnly: false, roles: viewer, subscriber: false, now: new Date(clock) })).toBeUndefined()
    await stores.settings.update(CHANNEL, { emoteMode: true })
    await Bun.sleep(5)
    expect(
      (await replica.rules.checkMessage({ broadcasterId: CHANNEL, channelLogin: 'host', sender: VIEWER, text: 'y', emoteOnly: false, roles: viewer, subscriber: false, now: new Date(clock) }))?.msgId,
    ).toBe('msg_emoteonly')
    replica.settings.close()
    replica.terms.close()
  })

  test('Twitch ranges are the table’s checks', async () => {
    await expect(stores.settings.update(CHANNEL, { slowModeWaitTime: 121 })).rejects.toThrow()
    await expect(stores.settings.update(CHANNEL, { followerModeDuration: 129_601 })).rejects.toThrow()
    await expect(stores.settings.update(CHANNEL, { nonModeratorChatDelayDuration: 3 })).rejects.toThrow()
    expect((await stores.settings.update(CHANNEL, { followerModeDuration: 129_600 })).after.followerModeDuration).toBe(129_600)
  })
})

describe('followers-only', () => {
  const follow = (followerId: string, version: number, followedAt: Date) =>
    deliver(database, chatModule, 'users.followed.v1', { follower_id: followerId, followed_id: CHANNEL, followed_at: followedAt.toISOString(), version })
  const unfollow = (followerId: string, version: number) =>
    deliver(database, chatModule, 'users.unfollowed.v1', { follower_id: followerId, followed_id: CHANNEL, version })

  test('by follow age, from the users events with their versions', async () => {
    await reset()
    const follower = { id: '510', login: 'fan' }
    await stores.settings.update(CHANNEL, { followerModeDuration: 0 })
    expect(await refusal({ sender: follower })).toBe('msg_followersonly_zero')
    await stores.settings.update(CHANNEL, { followerModeDuration: 10 })
    expect(await check({ sender: follower })).toEqual({
      msgId: 'msg_followersonly',
      text: 'This room is in 10 minutes followers-only mode. Follow host to join the community!',
    })
    expect((await follow(follower.id, 2, new Date(clock - 4 * 60_000))).outcome).toEqual({ status: 'handled' })
    expect(await check({ sender: follower })).toEqual({
      msgId: 'msg_followersonly_followed',
      text: 'This room is in 10 minutes followers-only mode. You have been following for 4 minutes. Continue following to chat!',
    })
    expect(await refusal({ sender: follower, now: new Date(clock + 6 * 60_000) })).toBeUndefined()
    expect(await refusal({ sender: follower, roles: { ...viewer, vip: true } })).toBeUndefined()

    await unfollow(follower.id, 3)
    expect(await refusal({ sender: follower, now: new Date(clock + 6 * 60_000) })).toBe('msg_followersonly')
    // A follow older than the unfollow, delivered late, does not bring it back.
    await follow(follower.id, 1, new Date(clock - 60 * 60_000))
    expect(await refusal({ sender: follower, now: new Date(clock + 6 * 60_000) })).toBe('msg_followersonly')
    await follow(follower.id, 4, new Date(clock))
    expect(await refusal({ sender: follower, now: new Date(clock + 11 * 60_000) })).toBeUndefined()
  })
})

describe('blocked terms', () => {
  test('refuse whole words in any case, spare moderators, and end when removed — on every replica', async () => {
    await reset()
    const replica = build()
    await replica.rules.checkMessage({ broadcasterId: CHANNEL, channelLogin: 'host', sender: VIEWER, text: 'warm', emoteOnly: false, roles: viewer, subscriber: false, now: new Date(clock) })
    const term = await stores.terms.add(CHANNEL, CHANNEL, 'Big Spoiler')
    expect((await stores.terms.add(CHANNEL, CHANNEL, 'big spoiler')).id).toBe(term.id)
    await Bun.sleep(5)
    const on = (rules: typeof stores.rules, text: string, roles = viewer) =>
      rules.checkMessage({ broadcasterId: CHANNEL, channelLogin: 'host', sender: VIEWER, text, emoteOnly: false, roles, subscriber: false, now: new Date(clock) })
    expect(await on(stores.rules, 'here is a BIG   spoiler!')).toEqual({
      msgId: 'msg_rejected_mandatory',
      text: "Your message wasn't posted due to conflicts with the channel's moderation settings.",
    })
    expect((await on(replica.rules, 'big spoiler'))?.msgId).toBe('msg_rejected_mandatory')
    expect(await on(stores.rules, 'big spoilers are words too')).toBeUndefined()
    expect(await on(stores.rules, 'big spoiler', { ...viewer, moderator: true })).toBeUndefined()
    expect(await stores.terms.remove(CHANNEL, term.id)).toBe(true)
    await Bun.sleep(5)
    expect(await on(replica.rules, 'big spoiler')).toBeUndefined()
    replica.settings.close()
    replica.terms.close()
  })

  test('terms with regular-expression characters match as text', async () => {
    await stores.terms.add(CHANNEL, CHANNEL, 'a+b (c)')
    expect((await check({ text: 'so A+B (C) it is' }))?.msgId).toBe('msg_rejected_mandatory')
    expect(await check({ text: 'aab c' })).toBeUndefined()
  })
})
