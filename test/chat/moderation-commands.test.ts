/**
 * Moderation through the real tmi.js 1.8.5, on two chat replicas sharing Redis and Postgres:
 * the moderators on replica A, the viewers on replica B. Every command settles tmi.js's promise
 * (tmi.js itself rejects with "No response from Twitch." after 600 ms), and what a moderator does
 * on A takes effect for a sender on B.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import tmi from 'tmi.js'
import { chat } from '../../src/modules/chat/index.ts'
import { loadConfig } from '../../src/platform/config.ts'
import { createPlatform, type Platform } from '../../src/platform/platform.ts'
import { testRedisUrl } from '../../src/platform/testing/harness.ts'
import { freePort } from '../../src/platform/testing/processes.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { startChat, type ChatFixture } from './core-fixture.ts'

let f: ChatFixture
let replicaB: Platform
let portB: number
const clients: tmi.Client[] = []
const STREAM_PREFIX = `test:chat-moderation:${crypto.randomUUID()}`

// Two replicas share rooms through Redis: without it there is nothing to test here.
const redisUrl = testRedisUrl('chat moderation commands on two replicas')

beforeAll(async () => {
  if (!redisUrl) return
  f = await startChat({ EVENTS_STREAM_PREFIX: STREAM_PREFIX })
  const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: '.data/test', DB_POOL_MAX: '5', REDIS_URL: redisUrl, EVENTS_STREAM_PREFIX: STREAM_PREFIX })
  replicaB = await createPlatform({ ...config, modules: ['chat'], databaseUrls: { ...config.databaseUrls, chat: f.t.databaseUrls.chat } }, [chat])
  portB = freePort()
  replicaB.serve({ port: portB, hostname: '127.0.0.1' })
}, 60_000)
afterAll(async () => {
  if (!redisUrl) return
  await Promise.all(clients.map((client) => client.disconnect().catch(() => {})))
  await replicaB.stop()
  await f.close()
}, 30_000)

type Person = { id: string; login: string; client: tmi.Client }

async function person(login: string, port: number): Promise<Person> {
  const id = await f.user(login)
  const client = new tmi.Client({
    options: { skipUpdatingEmotesets: true },
    connection: { server: '127.0.0.1', port, secure: false, reconnect: false },
    identity: { username: login, password: await f.password(id, login) },
    logger: { info: () => {}, warn: () => {}, error: () => {} },
  })
  clients.push(client)
  await client.connect()
  return { id, login, client }
}

/** The first `event` on `client` that `predicate` accepts, within `timeoutMs`. */
function next<A extends unknown[]>(client: tmi.Client, event: keyof tmi.Events, predicate: (...args: A) => boolean = () => true, timeoutMs = 3000): Promise<A> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.removeListener(event, listener)
      reject(new Error(`no ${event} within ${timeoutMs} ms`))
    }, timeoutMs)
    const listener = (...args: unknown[]) => {
      if (!predicate(...(args as A))) return
      clearTimeout(timer)
      client.removeListener(event, listener)
      resolve(args as A)
    }
    client.on(event, listener)
  })
}
const noticeOn = (client: tmi.Client, msgId: string) => next<[string, string, string]>(client, 'notice', (_c, id) => id === msgId)
const messageOn = (client: tmi.Client, text: string) =>
  next<[string, tmi.ChatUserstate, string, boolean]>(client, 'message', (_c, _t, message, self) => !self && message === text)

let host: Person
let mod: Person
let viewer: Person
let other: Person
const CHANNEL = '#host'

beforeAll(async () => {
  if (!redisUrl) return
  host = await person('host', f.port)
  mod = await person('modder', f.port)
  viewer = await person('viewer', portB)
  other = await person('other', portB)
  await Promise.all([host, mod, viewer, other].map((p) => p.client.join(CHANNEL)))
  await host.client.mod(CHANNEL, 'modder')
}, 60_000)

describe.skipIf(!redisUrl)('roles', () => {
  test('the broadcaster manages moderators and VIPs; refusals carry Twitch msg-ids', async () => {
    expect(await host.client.mods(CHANNEL)).toEqual(['modder'])
    expect(await host.client.vips(CHANNEL)).toEqual([])
    expect(await host.client.vip(CHANNEL, 'other')).toEqual([CHANNEL, 'other'])
    expect(await host.client.vips(CHANNEL)).toEqual(['other'])
    await expect(host.client.vip(CHANNEL, 'other')).rejects.toBe('bad_vip_grantee_already_vip')
    await expect(host.client.mod(CHANNEL, 'modder')).rejects.toBe('bad_mod_mod')
    // A moderator made VIP: refused with an id tmi.js settles on (rejected at once, not its 600 ms "No response").
    const refused = noticeOn(host.client, 'bad_vip_grantee_already_vip')
    await expect(host.client.vip(CHANNEL, 'modder')).rejects.toBe('bad_vip_grantee_already_vip')
    expect((await refused)[2]).toBe('modder is a moderator. To make them a VIP, you must first remove them as a moderator.')
    expect(await host.client.mods(CHANNEL)).toEqual(['modder'])
    await expect(mod.client.mod(CHANNEL, 'viewer')).rejects.toBe('no_permission')
    await expect(host.client.mod(CHANNEL, 'nobody_here')).rejects.toBe('invalid_user')
    expect(await host.client.unvip(CHANNEL, 'other')).toEqual([CHANNEL, 'other'])
    await expect(host.client.unvip(CHANNEL, 'other')).rejects.toBe('bad_unvip_grantee_not_vip')
    await expect(host.client.unmod(CHANNEL, 'viewer')).rejects.toBe('bad_unmod_mod')
    // A VIP made moderator stops being a VIP.
    await host.client.vip(CHANNEL, 'other')
    await host.client.mod(CHANNEL, 'other')
    expect(await host.client.vips(CHANNEL)).toEqual([])
    expect(await host.client.unmod(CHANNEL, 'other')).toEqual([CHANNEL, 'other'])
    expect(await host.client.mods(CHANNEL)).toEqual(['modder'])
  })
})

describe.skipIf(!redisUrl)('bans, timeouts, deletions', () => {
  test('a ban on replica A reaches the room on B and silences the sender there; an unban lets them talk', async () => {
    const seen = next<[string, string]>(other.client, 'ban', (_c, user) => user === 'viewer')
    expect(await mod.client.ban(CHANNEL, 'viewer', 'spam')).toEqual([CHANNEL, 'viewer', 'spam'])
    expect((await seen)[1]).toBe('viewer')
    const refused = noticeOn(viewer.client, 'msg_banned')
    await viewer.client.say(CHANNEL, 'can I talk?')
    expect((await refused)[2]).toBe('You are permanently banned from talking in host.')
    await expect(mod.client.ban(CHANNEL, 'viewer')).rejects.toBe('already_banned')
    await expect(mod.client.ban(CHANNEL, 'host')).rejects.toBe('bad_ban_broadcaster')
    await expect(mod.client.ban(CHANNEL, 'modder')).rejects.toBe('bad_ban_self')
    await expect(viewer.client.ban(CHANNEL, 'other')).rejects.toBe('no_permission')
    expect(await mod.client.unban(CHANNEL, 'viewer')).toEqual([CHANNEL, 'viewer'])
    await expect(mod.client.unban(CHANNEL, 'viewer')).rejects.toBe('bad_unban_no_ban')
    const heard = messageOn(host.client, 'back again')
    await viewer.client.say(CHANNEL, 'back again')
    await heard
  })

  test('a timeout shows its duration, refuses with the time left and ends by itself', async () => {
    const seen = next<[string, string, null, number]>(other.client, 'timeout', (_c, user) => user === 'viewer')
    expect(await mod.client.timeout(CHANNEL, 'viewer', 2, 'calm down')).toEqual([CHANNEL, 'viewer', 2, 'calm down'])
    expect((await seen)[3]).toBe(2)
    const refused = noticeOn(viewer.client, 'msg_timedout')
    await viewer.client.say(CHANNEL, 'still here')
    expect((await refused)[2]).toMatch(/^You are timed out for [12] more seconds\.$/)
    await expect(mod.client.timeout(CHANNEL, 'viewer', 1_209_601)).rejects.toBe('bad_timeout_duration')
    await Bun.sleep(2100)
    const heard = messageOn(host.client, 'free again')
    await viewer.client.say(CHANNEL, 'free again')
    await heard
  })

  test('a message sent on B is deleted from A: CLEARMSG with its sender and text on B', async () => {
    const heard = messageOn(mod.client, 'delete me please')
    await viewer.client.say(CHANNEL, 'delete me please')
    const [, tags] = await heard
    const deleted = next<[string, string, string, tmi.DeleteUserstate]>(other.client, 'messagedeleted')
    expect(await mod.client.deletemessage(CHANNEL, tags.id!)).toEqual([CHANNEL])
    const [, username, text, deletedTags] = await deleted
    expect({ username, text, target: deletedTags['target-msg-id'] }).toEqual({ username: 'viewer', text: 'delete me please', target: tags.id })
    await expect(mod.client.deletemessage(CHANNEL, crypto.randomUUID())).rejects.toBe('bad_delete_message_error')
    const rows = await f.t.sql.chat!`select deleted_at from chat_messages where id = ${tags.id!}::uuid`
    expect(rows[0]?.deleted_at).toBeInstanceOf(Date)
  })

  test('a message not yet stored is deleted from memory, and stays deleted once its batch is written', async () => {
    const heard = messageOn(host.client, 'gone before stored')
    await mod.client.say(CHANNEL, 'gone before stored')
    const [, tags] = await heard
    expect(await host.client.deletemessage(CHANNEL, tags.id!)).toEqual([CHANNEL])
    const broadcasters = messageOn(mod.client, 'untouchable')
    await host.client.say(CHANNEL, 'untouchable')
    const [, hostTags] = await broadcasters
    await expect(mod.client.deletemessage(CHANNEL, hostTags.id!)).rejects.toBe('bad_delete_message_broadcaster')
    await Bun.sleep(600)
    const rows = await f.t.sql.chat!`select id::text, deleted_at from chat_messages where id in (${tags.id!}::uuid, ${hostTags.id!}::uuid)`
    expect(Object.fromEntries(rows.map((row) => [row.id, row.deleted_at !== null]))).toEqual({ [tags.id!]: true, [hostTags.id!]: false })
  })

  test('/clear clears the room on both replicas', async () => {
    const cleared = next(other.client, 'clearchat')
    expect(await mod.client.clear(CHANNEL)).toEqual([CHANNEL])
    await cleared
  })
})

describe.skipIf(!redisUrl)('room modes', () => {
  test('slow mode settles on ROOMSTATE and holds senders on the other replica', async () => {
    const seen = next<[string, boolean, number]>(other.client, 'slowmode')
    expect((await mod.client.slow(CHANNEL, 10)) as unknown).toEqual([CHANNEL, 10])
    expect(await seen).toEqual([CHANNEL, true, 10])
    const first = messageOn(host.client, 'slow one')
    await viewer.client.say(CHANNEL, 'slow one')
    await first
    const refused = noticeOn(viewer.client, 'msg_slowmode')
    await viewer.client.say(CHANNEL, 'slow two')
    await refused
    await expect(mod.client.slow(CHANNEL, 300)).rejects.toBe('usage_slow_on')
    expect(await mod.client.slowoff(CHANNEL)).toEqual([CHANNEL])
    // Off already: the sender alone is told, so its promise still settles.
    expect(await mod.client.slowoff(CHANNEL)).toEqual([CHANNEL])
  })

  test('followers-only settles on ROOMSTATE; a viewer who does not follow is refused', async () => {
    // @types/tmi.js says [channel]; tmi.js 1.8.5 resolves [channel, minutes].
    expect((await mod.client.followersonly(CHANNEL, 30)) as unknown).toEqual([CHANNEL, 30])
    const refused = noticeOn(viewer.client, 'msg_followersonly')
    await viewer.client.say(CHANNEL, 'let me in')
    expect((await refused)[2]).toBe('This room is in 30 minutes followers-only mode. Follow host to join the community!')
    expect(await mod.client.followersonlyoff(CHANNEL)).toEqual([CHANNEL])
  })

  test('subscribers-only, emote-only and unique chat settle on their NOTICEs; a no-op is refused as Twitch does', async () => {
    const announced = next<[string, boolean]>(other.client, 'subscribers')
    expect(await mod.client.subscribers(CHANNEL)).toEqual([CHANNEL])
    expect(await announced).toEqual([CHANNEL, true])
    await expect(mod.client.subscribers(CHANNEL)).rejects.toBe('already_subs_on')
    const refused = noticeOn(viewer.client, 'msg_subsonly')
    await viewer.client.say(CHANNEL, 'subs only?')
    await refused
    expect(await mod.client.subscribersoff(CHANNEL)).toEqual([CHANNEL])

    expect(await mod.client.emoteonly(CHANNEL)).toEqual([CHANNEL])
    const emoteOnly = noticeOn(viewer.client, 'msg_emoteonly')
    await viewer.client.say(CHANNEL, 'words, not emotes')
    await emoteOnly
    expect(await mod.client.emoteonlyoff(CHANNEL)).toEqual([CHANNEL])
    await expect(mod.client.emoteonlyoff(CHANNEL)).rejects.toBe('already_emote_only_off')

    expect(await mod.client.r9kbeta(CHANNEL)).toEqual([CHANNEL])
    const unique = messageOn(host.client, 'only once')
    await other.client.say(CHANNEL, 'only once')
    await unique
    const repeated = noticeOn(viewer.client, 'msg_r9k')
    await viewer.client.say(CHANNEL, 'ONLY once')
    await repeated
    expect(await mod.client.r9kbetaoff(CHANNEL)).toEqual([CHANNEL])
    await expect(viewer.client.r9kbeta(CHANNEL)).rejects.toBe('no_permission')
  })

  test('a REST change of the settings is announced in the room at once, on the other replica', async () => {
    const token = await accessTokenFor(f.t, host.id, [], { login: 'host' })
    const seen = next<[string, boolean, number]>(other.client, 'slowmode')
    const res = await f.t.request(`/api/chat/settings?broadcaster_id=${host.id}&moderator_id=${host.id}`, {
      method: 'PATCH',
      token,
      json: { slow_mode: true, slow_mode_wait_time: 5 },
    })
    expect(res.status).toBe(200)
    expect(await seen).toEqual([CHANNEL, true, 5])
    await mod.client.slowoff(CHANNEL)
  })

  test('an unknown command is answered unrecognized_cmd', async () => {
    const answered = noticeOn(viewer.client, 'unrecognized_cmd')
    await viewer.client.say(CHANNEL, '/frobnicate now')
    expect((await answered)[2]).toBe('Unrecognized command: /frobnicate')
  })
})
