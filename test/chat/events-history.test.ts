/**
 * Chat history and replay over REST, from messages sent through the real IRC socket and
 * stored in batches: newest first with a `before` cursor, a deleted message flagged without its
 * text, and a past stream's chat with each message's offset from the stream's start.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { chat } from '../../src/modules/chat/index.ts'
import { deliver } from '../../src/platform/testing/events.ts'
import type { TestSocket } from '../../src/platform/testing/ws-client.ts'
import { startChat, type ChatFixture } from './core-fixture.ts'

let f: ChatFixture
beforeAll(async () => {
  f = await startChat({ CHAT_STORE_INTERVAL_MS: '20' })
}, 60_000)
afterAll(() => f.close(), 30_000)

type Message = { message_id: string; user_id: string; user_login: string; user_name: string; text: string | null; deleted: boolean; sent_at: string; reply_parent_message_id: string | null }
type Page = { data: Message[]; pagination: { cursor?: string } }

/** A signed-in socket in `channel`'s room. */
async function chatter(login: string, channel: string): Promise<{ id: string; ws: TestSocket; say: (text: string) => Promise<void> }> {
  const id = await f.user(login, login.toUpperCase())
  const ws = await f.irc(login, await f.password(id, login))
  ws.send(`JOIN #${channel}`)
  await ws.waitFor((frame) => String(frame).includes(' ROOMSTATE '))
  return {
    id,
    ws,
    // Each accepted message is answered with a USERSTATE to its sender.
    say: async (text) => {
      ws.send(`PRIVMSG #${channel} :${text}`)
      await ws.waitFor((frame) => String(frame).includes(' USERSTATE '))
    },
  }
}

async function stored(broadcasterId: string, n: number): Promise<void> {
  const deadline = Date.now() + 5_000
  for (;;) {
    const [row] = await f.t.sql.chat!<{ n: number }[]>`select count(*)::int as n from chat_messages where broadcaster_id = ${broadcasterId}`
    if ((row?.n ?? 0) >= n) return
    if (Date.now() > deadline) throw new Error(`${row?.n ?? 0} of ${n} messages stored`)
    await Bun.sleep(20)
  }
}

const get = async <T>(path: string): Promise<{ status: number; body: T }> => {
  const res = await f.t.request(path)
  return { status: res.status, body: (await res.json()) as T }
}

describe('GET /api/chat/messages', () => {
  test('newest first, paged back with before; a deleted message keeps its place without its text', async () => {
    const casterId = await f.user('historycaster')
    const ada = await chatter('historyada', 'historycaster')
    const bob = await chatter('historybob', 'historycaster')
    for (const [who, text] of [[ada, 'one'], [bob, 'two'], [ada, 'three'], [bob, 'four'], [ada, 'five']] as const) await who.say(text)
    await stored(casterId, 5)
    // A moderator's deletion, as moderation records it on the stored row.
    await f.t.sql.chat!`update chat_messages set deleted_at = now() where broadcaster_id = ${casterId} and text = 'two'`

    const first = await get<Page>(`/api/chat/messages?broadcaster_id=${casterId}&first=3`)
    expect(first.status).toBe(200)
    expect(first.body.data.map((m) => [m.user_login, m.text, m.deleted])).toEqual([
      ['historyada', 'five', false],
      ['historybob', 'four', false],
      ['historyada', 'three', false],
    ])
    expect(first.body.data[0]).toMatchObject({ user_id: ada.id, user_name: 'HISTORYADA', reply_parent_message_id: null })
    const cursor = first.body.pagination.cursor!
    const rest = await get<Page>(`/api/chat/messages?broadcaster_id=${casterId}&first=3&before=${cursor}`)
    expect(rest.body.data.map((m) => [m.text, m.deleted])).toEqual([
      [null, true],
      ['one', false],
    ])
    expect(rest.body.pagination).toEqual({})
    // Every message's id is the one the room saw.
    const ids = [...first.body.data, ...rest.body.data].map((m) => m.message_id)
    expect(new Set(ids).size).toBe(5)

    const bad = await f.t.request(`/api/chat/messages?broadcaster_id=${casterId}&before=not-a-cursor`)
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { errors: { field: string; message: string }[] }).errors).toEqual([{ field: 'before', message: 'not a cursor this list issued' }])
    expect((await f.t.request('/api/chat/messages?broadcaster_id=0')).status).toBe(400)
    expect((await get<Page>('/api/chat/messages?broadcaster_id=987654321')).body).toEqual({ data: [], pagination: {} })
  }, 30_000)
})

describe('GET /api/chat/replay', () => {
  test("a past stream's messages oldest first, each with its offset from the stream's start, none from after it", async () => {
    const casterId = await f.user('replaycaster')
    const viewer = await chatter('replayviewer', 'replaycaster')
    // The stream began 90 s ago: every message below is at least that far into it.
    const startedAt = new Date(Date.now() - 90_000)
    const streamId = String(700_000 + Math.floor(Math.random() * 100_000))
    for (const text of ['hello stream', 'gg', 'bye']) await viewer.say(text)
    await stored(casterId, 3)
    const [last] = await f.t.sql.chat!<{ sent_at: Date }[]>`select max(sent_at) as sent_at from chat_messages where broadcaster_id = ${casterId}`
    const endedAt = new Date(last!.sent_at.getTime() + 1)
    await Bun.sleep(5)
    await viewer.say('after the stream')
    await stored(casterId, 4)
    // Offline before online (one stream per event type, so either order): the session is complete either way.
    expect((await deliver(f.t, chat, 'streams.offline.v1', { stream_id: streamId, broadcaster_id: casterId, ended_at: endedAt.toISOString(), reason: 'publish_done' })).outcome).toEqual({ status: 'handled' })

    // Not before chat saw the stream begin.
    expect((await f.t.request(`/api/chat/replay?stream_id=${streamId}`)).status).toBe(404)
    const online = { stream_id: streamId, broadcaster_id: casterId, broadcaster_login: 'replaycaster', started_at: startedAt.toISOString() }
    expect((await deliver(f.t, chat, 'streams.online.v1', online)).outcome).toEqual({ status: 'handled' })

    type Replay = { stream: Record<string, string | null>; data: (Message & { offset_seconds: number })[]; pagination: { cursor?: string } }
    const all = await get<Replay>(`/api/chat/replay?stream_id=${streamId}`)
    expect(all.status).toBe(200)
    expect(all.body.stream).toEqual({ stream_id: streamId, broadcaster_id: casterId, started_at: startedAt.toISOString(), ended_at: endedAt.toISOString() })
    expect(all.body.data.map((m) => m.text)).toEqual(['hello stream', 'gg', 'bye'])
    for (const m of all.body.data) {
      expect(m.offset_seconds).toBe((Date.parse(m.sent_at) - startedAt.getTime()) / 1000)
      expect(m.offset_seconds).toBeGreaterThanOrEqual(90)
    }
    const page = await get<Replay>(`/api/chat/replay?stream_id=${streamId}&first=2`)
    expect(page.body.data.map((m) => m.text)).toEqual(['hello stream', 'gg'])
    const next = await get<Replay>(`/api/chat/replay?stream_id=${streamId}&first=2&after=${page.body.pagination.cursor}`)
    expect(next.body.data.map((m) => m.text)).toEqual(['bye'])

    expect((await f.t.request('/api/chat/replay?stream_id=abc')).status).toBe(400)
    expect((await f.t.request(`/api/chat/replay?stream_id=${streamId}&after=%7B`)).status).toBe(400)
  }, 30_000)
})
