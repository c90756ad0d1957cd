/** The server's side of liveness (it pings the silent, closes the dead) and the chat token route. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { connectSocket } from '../../src/platform/testing/ws-client.ts'
import { startChat, type ChatFixture } from './core-fixture.ts'

let f: ChatFixture
beforeAll(async () => {
  f = await startChat({ CHAT_PING_INTERVAL_SECONDS: '1' })
}, 60_000)
afterAll(async () => {
  await f.close()
}, 30_000)

describe('keeping connections alive', () => {
  test('a silent client is pinged; one that answers stays, one that does not is closed', async () => {
    const answering = await f.irc('justinfan1')
    const silent = await f.irc('justinfan2')
    expect(String(await silent.waitFor((frame) => String(frame).startsWith('PING'), 3000))).toBe('PING :tmi.twitch.tv\r\n')
    await answering.waitFor((frame) => String(frame).startsWith('PING'), 3000)
    const keepAnswering = setInterval(() => answering.send('PONG :tmi.twitch.tv'), 300)
    try {
      expect((await silent.closed).code).toBe(1001)
      await Bun.sleep(2500)
      expect(answering.socket.readyState).toBe(WebSocket.OPEN)
    } finally {
      clearInterval(keepAnswering)
    }
  }, 15_000)

  test('a socket that never registers is closed', async () => {
    const ws = await connectSocket(`ws://127.0.0.1:${f.port}/`)
    expect((await ws.closed).code).toBe(1008)
  }, 10_000)
})

describe('GET /api/chat/token', () => {
  test('hands out the chat token of the bearer, which logs in', async () => {
    const id = await f.user('lou')
    const res = await f.t.request('/api/chat/token', { token: await accessTokenFor(f.t, id, [], { login: 'lou' }) })
    expect(res.status).toBe(200)
    const { data } = (await res.json()) as { data: { token: string; login: string }[] }
    expect(data[0]!.login).toBe('lou')
    expect(data[0]!.token).toMatch(/^[0-9a-f]+$/)
    const ws = await f.irc('lou', `oauth:${data[0]!.token}`)
    expect(ws.socket.readyState).toBe(WebSocket.OPEN)
    expect((await f.t.request('/api/chat/token')).status).toBe(401)
  })
})
