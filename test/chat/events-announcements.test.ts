/**
 * What other modules' events say in chat, through chat's real inbox and the real tmi.js 1.8.5:
 * sub, resub, subgift, submysterygift and raid USERNOTICEs fire tmi.js's own events with Twitch's
 * values; a redemption's input is the redeemer's PRIVMSG with custom-reward-id; the subscribers
 * projection gives the sender's badges (and takes them back when the sub ends), versions first.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import tmi from 'tmi.js'
import type { SubscriptionsEvent } from '../../src/contracts/subscriptions.ts'
import { chat } from '../../src/modules/chat/index.ts'
import { deliver } from '../../src/platform/testing/events.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { startChat, type ChatFixture } from './core-fixture.ts'

let f: ChatFixture
let caster: string
let reader: tmi.Client
/** Every tmi.js event the reader fired in the caster's room, in order, with its arguments. */
const heard: { event: string; args: unknown[] }[] = []

const quiet = { info: () => {}, warn: () => {}, error: () => {} }
const options = (channel: string) => ({
  options: { skipUpdatingEmotesets: true },
  connection: { server: '127.0.0.1', port: f.port, secure: false, reconnect: false },
  channels: [channel],
  logger: quiet,
})

beforeAll(async () => {
  f = await startChat({ CHAT_NOTICE_INTERVAL_MS: '50' })
  caster = await f.user('noticecaster', 'NoticeCaster')
  reader = new tmi.Client(options('noticecaster'))
  for (const event of ['subscription', 'resub', 'subgift', 'submysterygift', 'raided', 'redeem', 'message', 'usernotice'] as const) {
    reader.on(event as 'message', (...args: unknown[]) => void heard.push({ event, args }))
  }
  await reader.connect()
  await Bun.sleep(200)
}, 60_000)
afterAll(async () => {
  await reader.disconnect().catch(() => {})
  await f.close()
})

/** The next event of that name heard from now on (those before are dropped). */
async function next(event: string, timeoutMs = 5_000): Promise<unknown[]> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const index = heard.findIndex((h) => h.event === event)
    if (index !== -1) return heard.splice(0, index + 1).at(-1)!.args
    if (Date.now() > deadline) throw new Error(`tmi.js fired no ${event} within ${timeoutMs} ms (heard: ${heard.map((h) => h.event).join(', ')})`)
    await Bun.sleep(20)
  }
}

let version = 1
const subscription = (userId: string, changes: Partial<SubscriptionsEvent<'subscriptions.subscription_started.v1'>> = {}) => ({
  subscription_id: crypto.randomUUID(),
  broadcaster_id: caster,
  user_id: userId,
  tier: '1000' as const,
  is_gift: false,
  gifter_id: null,
  cumulative_months: 1,
  streak_months: 1,
  current_period_end: new Date(Date.now() + 30 * 86_400_000).toISOString(),
  version: version++,
  message: '',
  amount: 499,
  currency: 'USD',
  occurred_at: new Date().toISOString(),
  ...changes,
})

const handled = async (type: string, payload: unknown) => {
  const { outcome } = await deliver(f.t, chat, type, payload)
  expect(outcome).toEqual({ status: 'handled' })
}

describe('USERNOTICEs from events, as tmi.js 1.8.5 reads them', () => {
  test("a first month is tmi.js's subscription, with the plan and the shared message", async () => {
    const fan = await f.user('firstfan', 'FirstFan')
    await handled('subscriptions.subscription_started.v1', subscription(fan, { message: 'hello chat!' }))
    const [channel, username, methods, message, tags] = (await next('subscription')) as [string, string, tmi.SubMethods, string, tmi.SubUserstate]
    expect({ channel, username, methods, message }).toEqual({
      channel: '#noticecaster',
      username: 'FirstFan',
      methods: { prime: false, plan: '1000', planName: 'Channel Subscription (noticecaster)' },
      message: 'hello chat!',
    })
    expect(tags['system-msg']).toBe('FirstFan subscribed at Tier 1.')
    expect(tags['room-id']).toBe(caster)
    expect(tags['user-id']).toBe(fan)
    expect(tags['message-type']).toBe('sub')
  })

  test("a return after months is a resub with its streak, and a renewal shared with a message is one too", async () => {
    const fan = await f.user('loyalfan', 'LoyalFan')
    const started = subscription(fan, { cumulative_months: 7, streak_months: 3, message: 'back again' })
    await handled('subscriptions.subscription_started.v1', started)
    const [channel, username, months, message, tags, methods] = (await next('resub')) as [string, string, number, string, tmi.SubUserstate, tmi.SubMethods]
    expect({ channel, username, months, message, plan: methods.plan }).toEqual({ channel: '#noticecaster', username: 'LoyalFan', months: 3, message: 'back again', plan: '1000' })
    expect(tags['system-msg']).toBe("LoyalFan subscribed at Tier 1. They've subscribed for 7 months, currently on a 3 month streak!")

    // A silent renewal says nothing; the next one, with a message, is a resub.
    await handled('subscriptions.subscription_renewed.v1', { ...started, cumulative_months: 8, streak_months: 4, message: '', version: version++ })
    await handled('subscriptions.subscription_renewed.v1', { ...started, cumulative_months: 9, streak_months: 5, message: 'nine!', version: version++ })
    const [, , renewedMonths, renewedMessage] = (await next('resub')) as [string, string, number, string]
    expect({ renewedMonths, renewedMessage }).toEqual({ renewedMonths: 5, renewedMessage: 'nine!' })
  })

  test('an older version, a redelivery or a long-past subscription announces nothing', async () => {
    const fan = await f.user('oncefan', 'OnceFan')
    const started = subscription(fan, { message: 'once' })
    await handled('subscriptions.subscription_started.v1', started)
    await next('subscription')
    // The same change under another event id (a republished fact), then an older one.
    await handled('subscriptions.subscription_started.v1', started)
    await handled('subscriptions.subscription_started.v1', { ...started, version: started.version - 1 })
    // A sub paid an hour ago (a snapshot replayed to chat joining late) is projected, not announced.
    await handled('subscriptions.subscription_started.v1', subscription(await f.user('pastfan'), { occurred_at: new Date(Date.now() - 3_600_000).toISOString() }))
    const marker = await f.user('markerfan', 'MarkerFan')
    await handled('subscriptions.subscription_started.v1', subscription(marker, { message: 'marker' }))
    const [, username] = (await next('subscription')) as [string, string]
    expect(username).toBe('MarkerFan')
  })

  test("a gift is tmi.js's subgift from the gifter to the recipient; a community gift its submysterygift first", async () => {
    const gifter = await f.user('kindgifter', 'KindGifter')
    const recipient = await f.user('luckyone', 'LuckyOne')
    await handled('subscriptions.gift_sent.v1', {
      gift_id: crypto.randomUUID(),
      broadcaster_id: caster,
      gifter_id: gifter,
      is_anonymous: false,
      is_community: true,
      tier: '2000',
      count: 1,
      recipient_ids: [recipient],
      gifter_total_gifts: 12,
      amount: 999,
      currency: 'USD',
      occurred_at: new Date().toISOString(),
    })
    const [mChannel, mUser, count, mMethods, mTags] = (await next('submysterygift')) as [string, string, number, tmi.SubMethods, tmi.SubMysteryGiftUserstate]
    expect({ mChannel, mUser, count, plan: mMethods.plan }).toEqual({ mChannel: '#noticecaster', mUser: 'KindGifter', count: 1, plan: '2000' })
    expect(mTags['system-msg']).toBe("KindGifter is gifting 1 Tier 2 Subs to NoticeCaster's community! They've gifted a total of 12 in the channel!")

    await handled('subscriptions.subscription_started.v1', subscription(recipient, { is_gift: true, gifter_id: gifter, tier: '2000', amount: 0 }))
    const [channel, username, streak, recipientName, methods, tags] = (await next('subgift')) as [string, string, number, string, tmi.SubMethods, tmi.SubGiftUserstate]
    expect({ channel, username, streak, recipientName, plan: methods.plan }).toEqual({
      channel: '#noticecaster',
      username: 'KindGifter',
      streak: 0,
      recipientName: 'LuckyOne',
      plan: '2000',
    })
    expect(tags['msg-param-recipient-id']).toBe(recipient)
    expect(tags['msg-param-recipient-user-name']).toBe('luckyone')
    expect(tags['system-msg']).toBe('KindGifter gifted a Tier 2 sub to LuckyOne!')

    // Anonymous: from AnAnonymousGifter, as Twitch sends it.
    const other = await f.user('anonluck', 'AnonLuck')
    await handled('subscriptions.subscription_started.v1', subscription(other, { is_gift: true, gifter_id: null, amount: 0 }))
    const [, anonymous, , anonymousRecipient] = (await next('subgift')) as [string, string, number, string]
    expect({ anonymous, anonymousRecipient }).toEqual({ anonymous: 'AnAnonymousGifter', anonymousRecipient: 'AnonLuck' })
  })

  test("a completed raid is tmi.js's raided in the raided room, with the raider and the viewers", async () => {
    const raider = await f.user('raidleader', 'RaidLeader')
    await handled('streams.raid_completed.v1', {
      raid_id: crypto.randomUUID(),
      from_broadcaster_id: raider,
      to_broadcaster_id: caster,
      to_broadcaster_login: 'noticecaster',
      viewer_count: 42,
    })
    const [channel, username, viewers, tags] = (await next('raided')) as [string, string, number, Record<string, string>]
    expect({ channel, username, viewers }).toEqual({ channel: '#noticecaster', username: 'RaidLeader', viewers: 42 })
    expect(tags['msg-param-login']).toBe('raidleader')
    expect(tags['system-msg']).toBe('42 raiders from RaidLeader have joined!')
  })

  test("a redemption's user input is the redeemer's message, tagged with the reward", async () => {
    const viewer = await f.user('redeemer', 'Redeemer')
    const reward = { id: crypto.randomUUID(), title: 'Song request', prompt: 'Which song?', cost: 500 }
    const redemption = (user_input: string) => ({
      id: crypto.randomUUID(),
      broadcaster_id: caster,
      user_id: viewer,
      user_input,
      status: 'UNFULFILLED',
      redeemed_at: new Date().toISOString(),
      reward,
    })
    await handled('subscriptions.redemption_added.v1', redemption(''))
    await handled('subscriptions.redemption_added.v1', redemption('play something; calm'))
    const [channel, , rewardType, , message] = (await next('redeem')) as [string, string, string, tmi.ChatUserstate, string]
    expect({ channel, rewardType, message }).toEqual({ channel: '#noticecaster', rewardType: reward.id, message: 'play something; calm' })
    const [, tags, text] = (await next('message')) as [string, tmi.ChatUserstate, string]
    expect({ name: tags['display-name'], user: tags['user-id'], reward: tags['custom-reward-id'], text }).toEqual({
      name: 'Redeemer',
      user: viewer,
      reward: reward.id,
      text: 'play something; calm',
    })
  })
})

describe('the subscribers projection, as badges show it', () => {
  test("a subscriber's messages carry the subscriber badge and months; none once the sub ended", async () => {
    const fan = await f.user('badgefan', 'BadgeFan')
    const sender = new tmi.Client({ ...options('noticecaster'), identity: { username: 'badgefan', password: await f.password(fan, 'badgefan') } })
    try {
      await sender.connect()
      await Bun.sleep(200)
      // Back after a lapse (its streak shorter than its months): a subscriber badge whatever its rank, never the founder's.
      const started = subscription(fan, { tier: '2000', cumulative_months: 4, streak_months: 2 })
      await handled('subscriptions.subscription_started.v1', started)
      await sender.say('noticecaster', 'with a badge')
      const [, tags] = (await next('message')) as [string, tmi.ChatUserstate]
      expect({ badges: tags.badges, info: tags['badge-info'], subscriber: tags.subscriber }).toEqual({
        badges: { subscriber: '2003' },
        info: { subscriber: '4' },
        subscriber: true,
      })
      // An older event after the end changes nothing: the sub stays ended.
      await handled('subscriptions.subscription_ended.v1', { ...started, version: version++, ended_at: new Date().toISOString(), reason: 'canceled' })
      await handled('subscriptions.subscription_renewed.v1', { ...started, version: started.version, message: '' })
      await sender.say('noticecaster', 'without one')
      const [, after, text] = (await next('message')) as [string, tmi.ChatUserstate, string]
      expect({ text, badges: after.badges ?? null, subscriber: after.subscriber }).toEqual({ text: 'without one', badges: null, subscriber: false })
    } finally {
      await sender.disconnect().catch(() => {})
    }
  }, 30_000)

  test('the first ten to subscribe wear founder/0 (badge-info founder/<months>) while unbroken; the eleventh a subscriber badge; a lapsed founder loses it for good', async () => {
    const founderCaster = await f.user('foundercaster', 'FounderCaster')
    await reader.join('foundercaster')
    const fans: string[] = []
    for (let i = 0; i < 11; i++) fans.push(await f.user(`founderfan${i}`))
    const since = Date.now() - 20 * 86_400_000
    const subs = fans.map((fan, i) => subscription(fan, { broadcaster_id: founderCaster, occurred_at: new Date(since + i * 60_000).toISOString() }))
    // Delivered last first: the order is the subscriptions', not their events'.
    for (const sub of [...subs].reverse()) await handled('subscriptions.subscription_started.v1', sub)

    const speakers: tmi.Client[] = []
    const badgesOf = async (i: number, text: string) => {
      const client = new tmi.Client({ ...options('foundercaster'), identity: { username: `founderfan${i}`, password: await f.password(fans[i]!, `founderfan${i}`) } })
      speakers.push(client)
      await client.connect()
      await Bun.sleep(200)
      await client.say('foundercaster', text)
      const [channel, tags, said] = (await next('message')) as [string, tmi.ChatUserstate, string]
      expect({ channel, said }).toEqual({ channel: '#foundercaster', said: text })
      await client.disconnect()
      return { badges: tags.badges, info: tags['badge-info'], subscriber: tags.subscriber }
    }
    try {
      expect(await badgesOf(9, 'tenth to subscribe')).toEqual({ badges: { founder: '0' }, info: { founder: '1' }, subscriber: true })
      expect(await badgesOf(10, 'eleventh to subscribe')).toEqual({ badges: { subscriber: '0' }, info: { subscriber: '1' }, subscriber: true })

      // The first founder renews (still one), then lets it lapse and comes back: a subscriber badge, and the slot passes to nobody.
      await handled('subscriptions.subscription_renewed.v1', { ...subs[0]!, cumulative_months: 2, streak_months: 2, version: version++, message: '' })
      expect(await badgesOf(0, 'second month')).toEqual({ badges: { founder: '0' }, info: { founder: '2' }, subscriber: true })
      await handled('subscriptions.subscription_ended.v1', { ...subs[0]!, cumulative_months: 2, streak_months: 2, version: version++, ended_at: new Date().toISOString(), reason: 'canceled' })
      await handled('subscriptions.subscription_started.v1', subscription(fans[0]!, { broadcaster_id: founderCaster, cumulative_months: 3, streak_months: 1 }))
      expect(await badgesOf(0, 'back again')).toEqual({ badges: { subscriber: '3' }, info: { subscriber: '3' }, subscriber: true })
      expect(await badgesOf(10, 'still eleventh')).toEqual({ badges: { subscriber: '0' }, info: { subscriber: '1' }, subscriber: true })
    } finally {
      await Promise.all(speakers.map((client) => client.disconnect().catch(() => {})))
    }
  }, 60_000)
})

describe('POST /api/chat/announcements (Helix "Send Chat Announcement")', () => {
  test("the broadcaster's announcement is a USERNOTICE announcement in the room, in its colour; others are refused", async () => {
    const token = await accessTokenFor(f.t, caster, [], { login: 'noticecaster' })
    const announce = (as: string, moderatorId: string, json: unknown) =>
      f.t.request(`/api/chat/announcements?broadcaster_id=${caster}&moderator_id=${moderatorId}`, { method: 'POST', token: as, json })
    expect((await announce(token, caster, { message: 'Stream starts in 5!', color: 'blue' })).status).toBe(204)
    const [msgId, channel, tags, message] = (await next('usernotice')) as [string, string, Record<string, string>, string]
    expect({ msgId, channel, message, color: tags['msg-param-color'], login: tags.login }).toEqual({
      msgId: 'announcement',
      channel: '#noticecaster',
      message: 'Stream starts in 5!',
      color: 'BLUE',
      login: 'noticecaster',
    })

    const viewer = await f.user('plainviewer')
    const viewerToken = await accessTokenFor(f.t, viewer, [], { login: 'plainviewer' })
    for (const [as, moderatorId, json, status] of [
      [viewerToken, viewer, { message: 'hi' }, 403],
      [viewerToken, caster, { message: 'hi' }, 403],
      [token, caster, { message: '' }, 400],
      [token, caster, { message: 'x'.repeat(501) }, 400],
      [token, caster, { message: 'hi', color: 'pink' }, 400],
      [token, caster, { message: 'hi', extra: 1 }, 400],
    ] as const) {
      const res = await announce(as, moderatorId, json)
      expect({ status: res.status, type: res.headers.get('content-type') }).toEqual({ status, type: 'application/problem+json' })
    }
  })
})

describe('/announce in chat', () => {
  test("a moderator's /announceblue is the room's announcement; a viewer's is refused with no_permission", async () => {
    const ws = await f.irc('noticecaster', await f.password(caster, 'noticecaster'))
    ws.send('JOIN #noticecaster')
    await ws.waitFor((frame) => String(frame).includes(' ROOMSTATE '))
    ws.send('PRIVMSG #noticecaster :/announceblue Giveaway at the top of the hour')
    const [msgId, , tags, message] = (await next('usernotice')) as [string, string, Record<string, string>, string]
    expect({ msgId, message, color: tags['msg-param-color'], login: tags.login }).toEqual({
      msgId: 'announcement',
      message: 'Giveaway at the top of the hour',
      color: 'BLUE',
      login: 'noticecaster',
    })

    const viewer = await f.user('announceviewer')
    const other = await f.irc('announceviewer', await f.password(viewer, 'announceviewer'))
    other.send('JOIN #noticecaster')
    await other.waitFor((frame) => String(frame).includes(' ROOMSTATE '))
    other.send('PRIVMSG #noticecaster :/announce me too')
    expect(String(await other.waitFor((frame) => String(frame).includes(' NOTICE ')))).toContain('@msg-id=no_permission ')
    other.send('PRIVMSG #noticecaster :/announce')
    ws.send('PRIVMSG #noticecaster :/announce')
    expect(String(await ws.waitFor((frame) => String(frame).includes('usage_announce')))).toContain('NOTICE #noticecaster :Usage:')
  })
})
