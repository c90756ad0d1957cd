import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { parseLine } from '../../src/modules/chat/irc/message.ts'
import { connectSocket, rawUpgrade, type TestSocket } from '../../src/platform/testing/ws-client.ts'
import { linesOf, startChat, type ChatFixture } from './core-fixture.ts'

let f: ChatFixture
beforeAll(async () => {
  f = await startChat()
}, 60_000)
afterAll(async () => {
  await f.close()
})

/** The next frame, which must hold exactly one line (ended with CRLF, as every frame is). */
async function lineOf(ws: TestSocket): Promise<string> {
  const frame = String(await ws.next())
  expect(frame.endsWith('\r\n')).toBe(true)
  return frame.slice(0, -2)
}
const has = (text: string) => (frame: unknown) => String(frame).includes(text)

describe('chat over raw IRC lines', () => {
  test('the subprotocol irc is echoed when offered, and none is needed', async () => {
    const offered = await rawUpgrade(f.port, '/', { protocols: ['irc'] })
    expect(offered.status).toBe(101)
    expect(offered.headers['sec-websocket-protocol']).toBe('irc')
    const none = await connectSocket(`ws://127.0.0.1:${f.port}/`)
    expect(none.protocol).toBe('')
    await none.close()
  })

  test('handshake: CAP ACK of exactly what was asked, CAP LS, 001–004 and the MOTD from tmi.twitch.tv, GLOBALUSERSTATE', async () => {
    const id = await f.user('ada', 'Ada')
    const ws = await connectSocket(`ws://127.0.0.1:${f.port}/`, { protocols: ['irc'] })
    ws.send('CAP LS 302\r\nCAP REQ :twitch.tv/tags twitch.tv/commands\r\n')
    expect(await lineOf(ws)).toBe(':tmi.twitch.tv CAP * LS :twitch.tv/tags twitch.tv/commands twitch.tv/membership')
    expect(await lineOf(ws)).toBe(':tmi.twitch.tv CAP * ACK :twitch.tv/tags twitch.tv/commands')
    ws.send('CAP REQ :twitch.tv/unknown')
    expect(await lineOf(ws)).toBe(':tmi.twitch.tv CAP * NAK :twitch.tv/unknown')
    // tmi.js lowercases the password: so does this client.
    ws.send(`CAP END\r\nPASS ${(await f.password(id, 'ada')).toLowerCase()}\r\nNICK ada\r\nUSER ada 8 * :ada`)
    const lines = linesOf(await ws.next())
    expect(lines.map((line) => parseLine(line)!.command)).toEqual(['001', '002', '003', '004', '375', '372', '376', 'GLOBALUSERSTATE'])
    for (const line of lines) expect(parseLine(line)!.prefix).toBe('tmi.twitch.tv')
    expect(lines[0]).toBe(':tmi.twitch.tv 001 ada :Welcome, GLHF!')
    expect(parseLine(lines[7]!)!.tags).toMatchObject({ 'display-name': 'Ada', 'user-id': id })
    await ws.close()
  })

  test('a bad token: the NOTICE without msg-id, then the close', async () => {
    for (const pass of ['oauth:nonsense', 'oauth:', undefined]) {
      const ws = await connectSocket(`ws://127.0.0.1:${f.port}/`, { protocols: ['irc'] })
      ws.send(`${pass === undefined ? '' : `PASS ${pass}\r\n`}NICK ada`)
      expect(await lineOf(ws)).toBe(':tmi.twitch.tv NOTICE * :Login authentication failed')
      expect((await ws.closed).code).toBe(1000)
    }
  })

  test('PING and PONG exactly as Twitch', async () => {
    const ws = await f.irc('justinfan123')
    ws.send('PING')
    expect(await lineOf(ws)).toBe('PONG :tmi.twitch.tv')
    ws.send('PING :hello there')
    expect(await lineOf(ws)).toBe(':tmi.twitch.tv PONG tmi.twitch.tv :hello there')
    ws.send('FROB x')
    expect(await lineOf(ws)).toBe(':tmi.twitch.tv 421 justinfan123 FROB :Unknown command')
  })

  test('JOIN: echo, names from <nick>.tmi.twitch.tv, USERSTATE before the full ROOMSTATE; PART; unknown channels', async () => {
    const owner = await f.user('bea')
    const id = await f.user('cat')
    const ws = await f.irc('cat', await f.password(id, 'cat'))
    ws.send('JOIN #bea')
    const lines = linesOf(await ws.next())
    expect(lines.slice(0, 3)).toEqual([
      ':cat!cat@cat.tmi.twitch.tv JOIN #bea',
      ':cat.tmi.twitch.tv 353 cat = #bea :cat',
      ':cat.tmi.twitch.tv 366 cat #bea :End of /NAMES list',
    ])
    expect(parseLine(lines[3]!)!.command).toBe('USERSTATE')
    const roomstate = parseLine(lines[4]!)!
    expect(roomstate.command).toBe('ROOMSTATE')
    expect(roomstate.tags).toMatchObject({ 'room-id': owner, 'subs-only': '0', slow: '0' })
    ws.send('PART #bea\r\nJOIN #nobody_here')
    expect(await lineOf(ws)).toBe(':cat!cat@cat.tmi.twitch.tv PART #bea')
    expect(await lineOf(ws)).toBe('@msg-id=msg_channel_suspended :tmi.twitch.tv NOTICE #nobody_here :This channel does not exist or has been suspended.')
    // Anonymous: no USERSTATE.
    const anonymous = await f.irc('justinfan9')
    anonymous.send('JOIN #bea')
    expect(linesOf(await anonymous.next()).map((line) => parseLine(line)!.command)).toEqual(['JOIN', '353', '366', 'ROOMSTATE'])
  })

  test('binary, oversize and malformed frames are dropped; the connection still answers', async () => {
    const ws = await f.irc('justinfan77')
    ws.send(new Uint8Array([0, 1, 2, 255]))
    ws.send('x'.repeat(200_000))
    ws.send(`PRIVMSG #a :${'y'.repeat(10_000)}`)
    ws.send('@\r\n:\r\n@a=b\r\n \r\n\u0000\r\n:prefix-only')
    ws.send('PING :still')
    expect(String(await ws.waitFor(has('PONG'))).trimEnd()).toBe(':tmi.twitch.tv PONG tmi.twitch.tv :still')
  })
})
