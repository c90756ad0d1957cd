/** Every PRIVMSG tag on the wire, as raw IRC lines show it: emotes in code points, replies, escapes, badges, limits, storage. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { parseLine, type IrcMessage } from '../../src/modules/chat/irc/message.ts'
import type { TestSocket } from '../../src/platform/testing/ws-client.ts'
import { linesOf, startChat, type ChatFixture } from './core-fixture.ts'

let f: ChatFixture
let emoteId: string
let owner: { id: string; ws: TestSocket }
let viewer: { id: string; ws: TestSocket }
let reader: TestSocket

beforeAll(async () => {
  f = await startChat()
  const [row] = await f.t.sql.chat!<{ id: string }[]>`
    insert into emotes (name, format) values ('CoreWave', 'static') returning id::text`
  emoteId = row!.id
  const join = async (login: string, displayName: string) => {
    const id = await f.user(login, displayName)
    const ws = await f.irc(login, await f.password(id, login))
    ws.send('JOIN #jo')
    await ws.waitFor((frame) => String(frame).includes('ROOMSTATE'))
    return { id, ws }
  }
  owner = await join('jo', 'Jo')
  viewer = await join('kim', 'Kim')
  reader = await f.irc('justinfan4242')
  reader.send('JOIN #jo')
  await reader.waitFor((frame) => String(frame).includes('ROOMSTATE'))
}, 60_000)
afterAll(async () => {
  await f.close()
})

/** The next PRIVMSG the reader gets. */
async function received(): Promise<IrcMessage & { raw: string }> {
  const frame = await reader.waitFor((frame) => String(frame).includes(' PRIVMSG '))
  const raw = linesOf(frame).find((line) => line.includes(' PRIVMSG '))!
  return { ...parseLine(raw)!, raw }
}

describe('PRIVMSG tags', () => {
  test('every tag Twitch sends, in its order; emotes counted in code points, astral characters as one', async () => {
    viewer.ws.send('@client-nonce=abc123 PRIVMSG #jo :🙂 CoreWave hé 🎉 CoreWave')
    const message = await received()
    expect(Object.keys(message.tags)).toEqual([
      'badge-info', 'badges', 'client-nonce', 'color', 'display-name', 'emotes', 'first-msg', 'flags', 'id', 'mod',
      'returning-chatter', 'room-id', 'subscriber', 'tmi-sent-ts', 'turbo', 'user-id', 'user-type',
    ])
    expect(message.tags).toMatchObject({
      'client-nonce': 'abc123',
      'display-name': 'Kim',
      emotes: `${emoteId}:2-9,16-23`,
      'first-msg': '1',
      mod: '0',
      'returning-chatter': '0',
      'room-id': owner.id,
      subscriber: '0',
      'user-id': viewer.id,
      'user-type': '',
    })
    expect(message.prefix).toBe('kim!kim@kim.tmi.twitch.tv')
    expect(message.params).toEqual(['#jo', '🙂 CoreWave hé 🎉 CoreWave'])
  })

  test("/me: an ACTION, its emotes counted without ACTION's prefix", async () => {
    viewer.ws.send('PRIVMSG #jo :/me CoreWave waves')
    const message = await received()
    expect(message.params[1]).toBe('\u0001ACTION CoreWave waves\u0001')
    expect(message.tags.emotes).toBe(`${emoteId}:0-7`)
  })

  test('a reply carries its parent, escaped as IRCv3 says, and is stored with it', async () => {
    owner.ws.send('PRIVMSG #jo :first; with space\\and slash')
    const parent = await received()
    expect(parent.tags.badges).toBe('broadcaster/1')
    viewer.ws.send(`@reply-parent-msg-id=${parent.tags.id} PRIVMSG #jo :@jo an answer`)
    const reply = await received()
    expect(reply.raw).toContain('reply-parent-msg-body=first\\:\\swith\\sspace\\\\and\\sslash;')
    expect(reply.tags).toMatchObject({
      'reply-parent-display-name': 'Jo',
      'reply-parent-msg-body': 'first; with space\\and slash',
      'reply-parent-msg-id': parent.tags.id,
      'reply-parent-user-id': owner.id,
      'reply-parent-user-login': 'jo',
      'reply-thread-parent-msg-id': parent.tags.id,
    })
    const deadline = Date.now() + 5000
    let rows: { reply_parent_id: string | null }[] = []
    while (rows.length === 0 && Date.now() < deadline) {
      rows = await f.t.sql.chat!<{ reply_parent_id: string | null }[]>`select reply_parent_id::text from chat_messages where id = ${reply.tags.id!}`
      await Bun.sleep(50)
    }
    expect(rows).toEqual([{ reply_parent_id: parent.tags.id! }])
  })

  test('500 characters pass (astral ones count once), 501 are refused with a NOTICE', async () => {
    viewer.ws.send(`PRIVMSG #jo :${'🎉'.repeat(500)}`)
    expect((await received()).params[1]).toBe('🎉'.repeat(500))
    viewer.ws.send(`PRIVMSG #jo :${'x'.repeat(501)}`)
    const refusal = await viewer.ws.waitFor((frame) => String(frame).includes('NOTICE'))
    expect(parseLine(linesOf(refusal)[0]!)!.tags['msg-id']).toBe('msg_too_long')
  })

  test("a moderator's messages carry the moderator badge, mod=1 and user-type=mod", async () => {
    owner.ws.send('PRIVMSG #jo :/mod kim')
    await owner.ws.waitFor((frame) => String(frame).includes('mod_success'))
    viewer.ws.send('PRIVMSG #jo :as a moderator now')
    const message = await received()
    expect(message.tags).toMatchObject({ badges: 'moderator/1', mod: '1', 'user-type': 'mod' })
  })
})
