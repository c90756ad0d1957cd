/**
 * The non-moderator chat delay, on chat replicas sharing Redis and Postgres: senders on replica
 * A (raw IRC, to read their message ids from USERSTATE), a moderator and a viewer reading on B
 * with the real tmi.js 1.8.5. A held message reaches the moderator at once and the viewer after
 * the delay; one deleted, or whose sender is timed out, during the hold never reaches the viewer;
 * a replica shutting down still sends what it held.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import tmi from 'tmi.js'
import { chat } from '../../src/modules/chat/index.ts'
import { parseLine } from '../../src/modules/chat/irc/message.ts'
import { loadConfig } from '../../src/platform/config.ts'
import { createPlatform, type Platform } from '../../src/platform/platform.ts'
import { testRedisUrl } from '../../src/platform/testing/harness.ts'
import { freePort } from '../../src/platform/testing/processes.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { connectSocket, type TestSocket } from '../../src/platform/testing/ws-client.ts'
import { linesOf, startChat, type ChatFixture } from './core-fixture.ts'

const redisUrl = testRedisUrl('the chat delay across replicas')
const STREAM_PREFIX = `test:chat-delay:${crypto.randomUUID()}`
const CHANNEL = '#delayhost'
const DELAY_MS = 2000

let f: ChatFixture
const replicas: Platform[] = []
let portB: number
let reader: tmi.Client
/** What the reader (a viewer) and the moderator heard in the room: the text and when. */
const heard: { text: string; at: number }[] = []
const modHeard: { text: string; at: number }[] = []

async function replica(): Promise<{ platform: Platform; port: number }> {
  const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: '.data/test', DB_POOL_MAX: '5', REDIS_URL: redisUrl!, EVENTS_STREAM_PREFIX: STREAM_PREFIX })
  const platform = await createPlatform({ ...config, modules: ['chat'], databaseUrls: { ...config.databaseUrls, chat: f.t.databaseUrls.chat } }, [chat])
  const port = freePort()
  platform.serve({ port, hostname: '127.0.0.1' })
  replicas.push(platform)
  return { platform, port }
}

const tmiClient = (port: number, identity?: { username: string; password: string }) =>
  new tmi.Client({
    options: { skipUpdatingEmotesets: true },
    connection: { server: '127.0.0.1', port, secure: false, reconnect: false },
    ...(identity && { identity }),
    channels: [CHANNEL],
    logger: { info: () => {}, warn: () => {}, error: () => {} },
  })

const sockets: TestSocket[] = []

/** A raw signed-in socket on `port` (replica A unless told), in the room. */
async function sender(login: string, port = f.port): Promise<{ id: string; ws: TestSocket }> {
  const id = await f.user(login)
  const ws = await connectSocket(`ws://127.0.0.1:${port}/`, { protocols: ['irc'] })
  sockets.push(ws)
  ws.send(`CAP REQ :twitch.tv/tags twitch.tv/commands\r\nPASS ${await f.password(id, login)}\r\nNICK ${login}\r\nJOIN ${CHANNEL}`)
  await ws.waitFor((frame) => String(frame).includes('ROOMSTATE'))
  return { id, ws }
}
/** Sends the text and returns the message's id, from the USERSTATE that answers it. */
async function say(ws: TestSocket, text: string): Promise<string> {
  ws.send(`PRIVMSG ${CHANNEL} :${text}`)
  const frame = await ws.waitFor((frame) => linesOf(frame).some((line) => parseLine(line)?.command === 'USERSTATE' && parseLine(line)?.tags.id !== undefined))
  return parseLine(linesOf(frame).find((line) => parseLine(line)!.command === 'USERSTATE')!)!.tags.id!
}
async function heardAt(text: string, by = heard, timeoutMs = 5000): Promise<number> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = by.find((h) => h.text === text)
    if (found) return found.at
    if (Date.now() > deadline) throw new Error(`never heard "${text}" (heard: ${by.map((h) => h.text).join(' | ')})`)
    await Bun.sleep(20)
  }
}

let host: { id: string; ws: TestSocket }
let moderator: tmi.Client

beforeAll(async () => {
  if (!redisUrl) return
  f = await startChat({ EVENTS_STREAM_PREFIX: STREAM_PREFIX })
  portB = (await replica()).port
  host = await sender('delayhost')
  const modId = await f.user('delaymod')
  // A moderator when it joins: its connection is among the room's moderating ones.
  host.ws.send(`PRIVMSG ${CHANNEL} :/mod delaymod`)
  await host.ws.waitFor((frame) => String(frame).includes('mod_success'))
  moderator = tmiClient(portB, { username: 'delaymod', password: await f.password(modId, 'delaymod') })
  moderator.on('message', (_channel, _tags, text, self) => void (self || modHeard.push({ text, at: Date.now() })))
  await moderator.connect()
  const token = await accessTokenFor(f.t, host.id, [], { login: 'delayhost' })
  const changed = await fetch(`http://127.0.0.1:${f.port}/api/chat/settings?broadcaster_id=${host.id}&moderator_id=${host.id}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ non_moderator_chat_delay: true, non_moderator_chat_delay_duration: DELAY_MS / 1000 }),
  })
  expect(changed.status).toBe(200)
  reader = tmiClient(portB)
  reader.on('message', (_channel, _tags, text) => void heard.push({ text, at: Date.now() }))
  await reader.connect()
  await Bun.sleep(300)
}, 60_000)
afterAll(async () => {
  if (!redisUrl) return
  await Promise.all([reader, moderator].map((client) => client?.disconnect().catch(() => {})))
  await Promise.all(sockets.map((ws) => ws.close()))
  for (const platform of replicas) await platform.stop()
  await f.close()
}, 30_000)

describe.skipIf(!redisUrl)('non-moderator chat delay', () => {
  test("a viewer's and a VIP's messages reach moderators at once and viewers after the delay; the broadcaster's and a moderator's go out at once", async () => {
    const viewer = await sender('delayviewer')
    const vip = await sender('delayvip')
    host.ws.send(`PRIVMSG ${CHANNEL} :/vip delayvip`)
    await host.ws.waitFor((frame) => String(frame).includes('vip_success'))

    const sent = Date.now()
    await say(viewer.ws, 'a viewer waits')
    await say(vip.ws, 'a VIP waits too')
    await moderator.say(CHANNEL, 'a moderator does not')
    await say(host.ws, 'nor the broadcaster')
    expect((await heardAt('a moderator does not')) - sent).toBeLessThan(DELAY_MS - 500)
    expect((await heardAt('nor the broadcaster')) - sent).toBeLessThan(DELAY_MS - 500)
    // The moderator has its head start: the held messages at once, from the other replica.
    expect((await heardAt('a viewer waits', modHeard)) - sent).toBeLessThan(DELAY_MS - 500)
    expect((await heardAt('a VIP waits too', modHeard)) - sent).toBeLessThan(DELAY_MS - 500)
    expect(heard.some((h) => h.text === 'a viewer waits' || h.text === 'a VIP waits too')).toBe(false)
    expect((await heardAt('a viewer waits')) - sent).toBeGreaterThanOrEqual(DELAY_MS - 50)
    expect((await heardAt('a VIP waits too')) - sent).toBeGreaterThanOrEqual(DELAY_MS - 50)
  })

  test('a message deleted, or whose sender is timed out, during the hold never reaches the viewers (the moderators saw it); the rest does', async () => {
    const viewer = await sender('delaydeleted')
    const other = await sender('delaytimedout')
    const deleted = await say(viewer.ws, 'deleted while held')
    await say(other.ws, 'timed out while held')
    await say(viewer.ws, 'kept while held')
    await moderator.deletemessage(CHANNEL, deleted)
    await moderator.timeout(CHANNEL, 'delaytimedout', 60, 'held')
    await heardAt('kept while held')
    await moderator.say(CHANNEL, 'after the hold')
    await heardAt('after the hold')
    await Bun.sleep(DELAY_MS / 2)
    expect(heard.filter((h) => h.text.endsWith('while held')).map((h) => h.text)).toEqual(['kept while held'])
    expect(modHeard.filter((h) => h.text.endsWith('while held')).map((h) => h.text)).toEqual(['deleted while held', 'timed out while held', 'kept while held'])
  }, 15_000)

  test('a replica shutting down still sends what it held, at its time, to the other replicas', async () => {
    const { platform, port } = await replica()
    const leaving = await sender('delayleaving', port)
    const sent = Date.now()
    await say(leaving.ws, 'held across a shutdown')
    const stopped = platform.stop().then(() => Date.now())
    expect((await heardAt('held across a shutdown')) - sent).toBeGreaterThanOrEqual(DELAY_MS - 50)
    expect((await stopped) - sent).toBeGreaterThanOrEqual(DELAY_MS - 50)
    replicas.splice(replicas.indexOf(platform), 1)
  }, 15_000)
})
