/**
 * The real tmi.js 1.8.5 against chat, configured as the README says (connection.server, port,
 * secure: false, options.skipUpdatingEmotesets: true).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import tmi from 'tmi.js'
import { startChat, type ChatFixture } from './core-fixture.ts'

let f: ChatFixture
const clients: tmi.Client[] = []
beforeAll(async () => {
  f = await startChat()
}, 60_000)
afterAll(async () => {
  await Promise.all(clients.map((client) => client.disconnect().catch(() => {})))
  await f.close()
  // Stopping takes seconds on a loaded machine (2–5 s seen with 8 people's tests on 2 cores).
}, 30_000)

type Identity = { username: string; password: string } | undefined

function client(identity: Identity, options: Partial<tmi.Options> = {}): tmi.Client {
  const made = new tmi.Client({
    options: { skipUpdatingEmotesets: true },
    connection: { server: '127.0.0.1', port: f.port, secure: false, reconnect: false },
    ...(identity ? { identity } : {}),
    logger: { info: () => {}, warn: () => {}, error: () => {} },
    ...options,
  })
  clients.push(made)
  return made
}

async function signedIn(login: string, displayName = login): Promise<{ id: string; client: tmi.Client }> {
  const id = await f.user(login, displayName)
  const made = client({ username: login, password: await f.password(id, login) })
  await made.connect()
  return { id, client: made }
}

type Received = { channel: string; tags: tmi.ChatUserstate; message: string; self: boolean }
const next = (c: tmi.Client, event: 'message' | 'whisper', predicate: (r: Received) => boolean = () => true, timeoutMs = 3000) =>
  new Promise<Received>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs)
    const listener = (channel: string, tags: tmi.ChatUserstate, message: string, self: boolean) => {
      if (self || !predicate({ channel, tags, message, self })) return
      clearTimeout(timer)
      c.removeListener(event, listener)
      resolve({ channel, tags, message, self })
    }
    c.on(event, listener)
  })
const notice = (c: tmi.Client, msgId: string, timeoutMs = 3000) =>
  new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no NOTICE ${msgId} within ${timeoutMs} ms`)), timeoutMs)
    c.on('notice', (_channel, id, message) => {
      if (id !== msgId) return
      clearTimeout(timer)
      resolve(message)
    })
  })

describe('tmi.js 1.8.5', () => {
  let ada: { id: string; client: tmi.Client }
  let bob: { id: string; client: tmi.Client }
  beforeAll(async () => {
    ada = await signedIn('ada', 'Ada')
    bob = await signedIn('bob', 'Bob')
    await ada.client.join('ada')
    await bob.client.join('#ada')
  }, 30_000)

  test('connects with the lowercased chat token and joins (USERSTATE, then ROOMSTATE)', () => {
    expect(ada.client.readyState()).toBe('OPEN')
    expect(bob.client.getChannels()).toEqual(['#ada'])
  })

  test('a message reaches the room with Twitch\'s tags, is not echoed to its sender, and the sender gets a USERSTATE', async () => {
    const echoed: string[] = []
    // tmi.js types leave out `raw_message`, which it emits with every parsed line.
    ;(bob.client as unknown as { on: (event: string, listener: (copy: unknown, message: { command: string }) => void) => void }).on('raw_message', (_copy, message) =>
      echoed.push(message.command),
    )
    const received = next(ada.client, 'message')
    const sentAt = Date.now()
    await bob.client.say('#ada', 'hello there; a\\b')
    const { tags, message, channel } = await received
    expect(channel).toBe('#ada')
    expect(message).toBe('hello there; a\\b')
    expect(tags).toMatchObject({
      'display-name': 'Bob',
      'user-id': bob.id,
      'room-id': ada.id,
      username: 'bob',
      mod: false,
      subscriber: false,
      'first-msg': true,
      'returning-chatter': false,
      'message-type': 'chat',
      badges: null,
    })
    expect(tags.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(Number(tags['tmi-sent-ts'])).toBeGreaterThanOrEqual(sentAt - 1000)
    await Bun.sleep(200)
    expect(echoed).toContain('USERSTATE')
    expect(echoed).not.toContain('PRIVMSG')
    const again = next(ada.client, 'message')
    await bob.client.say('#ada', 'second')
    expect((await again).tags['first-msg']).toBe(false)
  })

  test('the broadcaster has the broadcaster badge; /me arrives as an action', async () => {
    const received = next(bob.client, 'message')
    await ada.client.action('#ada', 'waves')
    const { tags, message } = await received
    expect(message).toBe('waves')
    expect(tags['message-type']).toBe('action')
    expect(tags.badges).toEqual({ broadcaster: '1' })
  })

  test('/color settles color() and colours the next messages', async () => {
    await bob.client.color('#FF7F50')
    const received = next(ada.client, 'message')
    await bob.client.say('#ada', 'in colour')
    expect((await received).tags.color).toBe('#FF7F50')
    await expect(bob.client.color('#ZZZZZZ')).rejects.toBe('usage_color')
  })

  test('whispers reach the other user\'s connections', async () => {
    // First: tmi.js leaves each whisper's listener behind, and the first one left takes the next refusal.
    await expect(bob.client.whisper('nobody_at_all', 'hello?')).rejects.toBe('whisper_invalid_login')
    await Bun.sleep(100)
    const other = client({ username: 'ada', password: await f.password(ada.id, 'ada') })
    await other.connect()
    const [first, second] = [next(ada.client, 'whisper'), next(other, 'whisper')]
    await bob.client.whisper('ada', 'psst, ada')
    for (const { channel, message, tags } of await Promise.all([first, second])) {
      expect(channel).toBe('#bob')
      expect(message).toBe('psst, ada')
      expect(tags['user-id']).toBe(bob.id)
    }
  })

  test('the same text twice within 30 s is refused with msg_duplicate', async () => {
    await bob.client.say('#ada', 'once only')
    const refused = notice(bob.client, 'msg_duplicate')
    await bob.client.say('#ada', 'once only')
    expect(await refused).toContain('identical')
  })

  test('past 20 messages in 30 s, msg_ratelimit; the broadcaster may send 100', async () => {
    const { client: cat } = await signedIn('cat')
    await cat.join('#ada')
    const refused = notice(cat, 'msg_ratelimit')
    const counted: string[] = []
    ada.client.on('message', (_c, tags, message) => void (tags.username === 'cat' && counted.push(message)))
    for (let i = 0; i < 21; i++) await cat.say('#ada', `message ${i}`)
    expect(await refused).toContain('too quickly')
    await Bun.sleep(300)
    expect(counted.length).toBe(20)
    const own: string[] = []
    bob.client.on('message', (_c, tags, message) => void (tags.username === 'ada' && own.push(message)))
    const rateNotice = notice(ada.client, 'msg_ratelimit', 1500).then(() => 'refused', () => 'none')
    for (let i = 0; i < 30; i++) await ada.client.say('#ada', `broadcast ${i}`)
    expect(await rateNotice).toBe('none')
    expect(own.length).toBe(30)
  })

  test('anonymous: joins and reads, cannot send', async () => {
    const viewer = client(undefined)
    await viewer.connect()
    await viewer.join('ada')
    const received = next(viewer, 'message')
    await bob.client.say('#ada', 'hello viewers')
    expect((await received).message).toBe('hello viewers')
    await expect(viewer.say('#ada', 'hi')).rejects.toBe('Cannot send anonymous messages.')
  })

  test('a bad token: connect() fails with Twitch\'s words, no reconnect', async () => {
    const intruder = client({ username: 'bob', password: 'oauth:nottoken' })
    await expect(intruder.connect()).rejects.toBe('Login authentication failed')
  })
})
