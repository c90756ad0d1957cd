/**
 * The real @twurple/chat 8, anonymous, through the generated nginx gateway on port 80 (twurple
 * takes no other port for WebSocket without TLS), to chat served on a loopback port behind it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { ChatClient, type ChatMessage } from '@twurple/chat'
import { renderGatewayConfig } from '../../scripts/gateway-config.ts'
import { startNginx, testNginx, type RunningNginx } from '../../deploy/test-nginx.ts'
import { chat } from '../../src/modules/chat/index.ts'
import { startChat, type ChatFixture } from './core-fixture.ts'

const nginx = testNginx('chat through the gateway with @twurple/chat')
let f: ChatFixture
let gateway: RunningNginx
const clients: ChatClient[] = []

beforeAll(async () => {
  f = await startChat({ CHAT_MEMBERSHIP_INTERVAL_MS: '100' })
  const config = renderGatewayConfig([chat], { listen: '127.0.0.1:80', upstreams: { chat: `127.0.0.1:${f.port}` }, hls: '127.0.0.1:9' })
  gateway = await startNginx(nginx!, config, 'http://127.0.0.1:80/healthz')
}, 60_000)
afterAll(async () => {
  for (const client of clients) client.quit()
  await gateway?.stop()
  await f?.close()
})

function anonymous(options: { requestMembershipEvents?: boolean } = {}): ChatClient {
  const client = new ChatClient({ hostName: '127.0.0.1', ssl: false, logger: { minLevel: 'critical' }, ...options })
  clients.push(client)
  return client
}

const registered = (client: ChatClient) => new Promise<void>((resolve) => client.irc.onRegister(() => resolve()))

describe('@twurple/chat 8 through the gateway', () => {
  test('anonymous: registers, joins on the full ROOMSTATE, reads messages with their tags', async () => {
    const ownerId = await f.user('dee', 'Dee')
    const senderId = await f.user('eve', 'Eve')
    const client = anonymous()
    const ready = registered(client)
    client.connect()
    await ready
    await client.join('dee')
    const sender = await f.irc('eve', await f.password(senderId, 'eve'))
    sender.send('JOIN #dee')
    await sender.waitFor((frame) => String(frame).includes('ROOMSTATE'))
    const received = new Promise<{ channel: string; user: string; text: string; msg: ChatMessage }>((resolve) =>
      client.onMessage((channel, user, text, msg) => resolve({ channel, user, text, msg })),
    )
    sender.send('@client-nonce=n0nce PRIVMSG #dee :hello through nginx; \\o/')
    const { channel, user, text, msg } = await received
    expect(channel).toBe('dee')
    expect(user).toBe('eve')
    expect(text).toBe('hello through nginx; \\o/')
    expect(msg.userInfo.displayName).toBe('Eve')
    expect(msg.userInfo.userId).toBe(senderId)
    expect(msg.channelId).toBe(ownerId)
    expect(msg.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(msg.tags.get('client-nonce')).toBe('n0nce')
    expect(msg.isFirst).toBe(true)
  })

  test("with requestMembershipEvents: another user's JOIN and PART, as onJoin and onPart (batched)", async () => {
    await f.user('fay')
    const gusId = await f.user('gus')
    const client = anonymous({ requestMembershipEvents: true })
    const ready = registered(client)
    client.connect()
    await ready
    await client.join('fay')
    const joined = new Promise<string>((resolve) => client.onJoin((channel, user) => user === 'gus' && resolve(channel)))
    const parted = new Promise<string>((resolve) => client.onPart((channel, user) => user === 'gus' && resolve(channel)))
    const gus = await f.irc('gus', await f.password(gusId, 'gus'))
    gus.send('JOIN #fay')
    expect(await joined).toBe('fay')
    gus.send('PART #fay')
    expect(await parted).toBe('fay')
  })
})
