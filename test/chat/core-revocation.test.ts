/**
 * A chat connection outlives the check of its token at login: signing out (a revoked session)
 * must end it too, as it ends the session's access tokens on every module.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { modules } from '../../src/modules.ts'
import { registerAccount } from '../../src/modules/users/test-accounts.ts'
import { createTestPlatform, type TestPlatform } from '../../src/platform/testing/harness.ts'
import { freePort } from '../../src/platform/testing/processes.ts'
import { connectSocket } from '../../src/platform/testing/ws-client.ts'

let t: TestPlatform
let port = 0
beforeAll(async () => {
  // Every module in one process: the users module signs in and out, chat holds the socket.
  t = await createTestPlatform(modules, { CHAT_PING_INTERVAL_SECONDS: '1' })
  port = freePort()
  t.platform.serve({ port, hostname: '127.0.0.1' })
}, 60_000)
afterAll(async () => {
  await t.close()
}, 30_000)

async function signedInSocket(login: string) {
  const account = await registerAccount(t, login)
  const res = await t.request('/api/chat/token', { token: account.accessToken })
  const { data } = (await res.json()) as { data: { token: string }[] }
  const ws = await connectSocket(`ws://127.0.0.1:${port}/`, { protocols: ['irc'] })
  // As tmi.js asks: GLOBALUSERSTATE is a Twitch command, sent only with twitch.tv/commands.
  ws.send('CAP REQ :twitch.tv/tags twitch.tv/commands')
  ws.send(`PASS oauth:${data[0]!.token}`)
  ws.send(`NICK ${login}`)
  await ws.waitFor((frame) => String(frame).includes('GLOBALUSERSTATE'), 5000)
  return { account, ws }
}

describe('a revoked session ends its chat connection', () => {
  test('logout closes the socket signed in with that session, with the login NOTICE; another session stays', async () => {
    const leaving = await signedInSocket('leaving_one')
    const staying = await signedInSocket('staying_one')
    const logout = await t.request('/api/auth/logout', { method: 'POST', json: {}, token: leaving.account.accessToken })
    expect(logout.status).toBe(204)
    const notice = await leaving.ws.waitFor((frame) => String(frame).includes('NOTICE'), 3000)
    expect(String(notice)).toBe(':tmi.twitch.tv NOTICE * :Login authentication failed\r\n')
    expect((await leaving.ws.closed).code).toBe(1008)
    // Answering the server's pings, the other session's socket is still open after a few sweeps.
    const answering = setInterval(() => staying.ws.send('PONG :tmi.twitch.tv'), 300)
    try {
      await Bun.sleep(1500)
      expect(staying.ws.socket.readyState).toBe(WebSocket.OPEN)
    } finally {
      clearInterval(answering)
    }
  }, 20_000)
})
