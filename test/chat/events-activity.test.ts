/**
 * Per-minute chat activity for analytics: chat.activity.v1 per channel per finished minute
 * through the outbox, chunked at 1 000 chatters, the running minute flushed at a graceful
 * shutdown — never one event per message.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { chatEvents, type ChatEvent } from '../../src/contracts/chat.ts'
import { createActivity } from '../../src/modules/chat/activity.ts'
import { chat } from '../../src/modules/chat/index.ts'
import { publishedEvents } from '../../src/platform/testing/events.ts'
import { openModuleDatabase } from '../../src/platform/testing/module-database.ts'
import { startChat } from './core-fixture.ts'

type Activity = ChatEvent<'chat.activity.v1'>
const cleanups: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
}, 30_000)

const at = (time: string) => new Date(`2026-12-02T${time}Z`)

describe('createActivity against a real chat database', () => {
  test('publishes each finished minute once per channel, the running one only when asked, in chunks of at most 1 000 chatters', async () => {
    const { database, close } = await openModuleDatabase(chat)
    cleanups.push(close)
    const activity = createActivity(database)
    const events = async () => (await publishedEvents(database, chat, { type: 'chat.activity.v1' })).map((e) => chatEvents['chat.activity.v1'].parse(e.payload))

    activity.count('10', '1', at('12:00:05'))
    activity.count('10', '1', at('12:00:59.999'))
    activity.count('10', '2', at('12:00:30'))
    activity.count('20', '1', at('12:00:10'))
    activity.count('10', '1', at('12:01:00'))
    for (let user = 1; user <= 2500; user++) activity.count('30', String(user), at('12:00:20'))

    await activity.flush({ now: at('12:00:59') })
    expect(await events()).toEqual([])

    await activity.flush({ now: at('12:01:30') })
    const first = await events()
    const minute = at('12:00:00').toISOString()
    const of = (broadcasterId: string) => first.filter((e) => e.broadcaster_id === broadcasterId)
    expect(of('10')).toEqual([{ broadcaster_id: '10', minute, chatters: [{ user_id: '1', messages: 2 }, { user_id: '2', messages: 1 }], chunk: 1, chunks: 1 }])
    expect(of('20')).toEqual([{ broadcaster_id: '20', minute, chatters: [{ user_id: '1', messages: 1 }], chunk: 1, chunks: 1 }])
    expect(of('30').map((e) => [e.chunk, e.chunks, e.chatters.length])).toEqual([
      [1, 3, 1000],
      [2, 3, 1000],
      [3, 3, 500],
    ])
    expect(new Set(of('30').flatMap((e) => e.chatters.map((c) => c.user_id))).size).toBe(2500)

    // Published once: the same minute is not sent again; the running minute waits for its end, or a shutdown.
    await activity.flush({ now: at('12:01:45') })
    expect(await events()).toHaveLength(first.length)
    await activity.flush({ now: at('12:01:45'), all: true })
    expect((await events()).slice(first.length)).toEqual([
      { broadcaster_id: '10', minute: at('12:01:00').toISOString(), chatters: [{ user_id: '1', messages: 1 }], chunk: 1, chunks: 1 },
    ])
  })
})

describe('chat served, messages through the IRC socket', () => {
  test('a burst of messages is one event per channel and minute, published by a graceful shutdown', async () => {
    const f = await startChat({ CHAT_ACTIVITY_FLUSH_MS: '60000' })
    cleanups.push(f.close)
    const casterId = await f.user('activitycaster')
    const senders = await Promise.all(
      ['activityada', 'activitybob'].map(async (login) => {
        const id = await f.user(login)
        const ws = await f.irc(login, await f.password(id, login))
        ws.send('JOIN #activitycaster')
        await ws.waitFor((frame) => String(frame).includes(' ROOMSTATE '))
        return { id, ws }
      }),
    )
    const sent = { [senders[0]!.id]: 15, [senders[1]!.id]: 10 }
    for (const { id, ws } of senders) {
      for (let i = 0; i < sent[id]!; i++) {
        ws.send(`PRIVMSG #activitycaster :message ${i} from ${id}`)
        await ws.waitFor((frame) => String(frame).includes(' USERSTATE '))
      }
    }
    // Nothing yet: no minute is over (the job runs once a minute here) and nothing goes per message.
    expect(await publishedEvents(f.t, chat, { type: 'chat.activity.v1' })).toEqual([])

    await f.t.platform.stop()
    const events = (await publishedEvents(f.t, chat, { type: 'chat.activity.v1' })).map((e) => e.payload as Activity)
    const mine = events.filter((e) => e.broadcaster_id === casterId)
    // One per minute the burst touched (two if it straddled a minute's end), never one per message.
    expect(mine.length).toBe(new Set(mine.map((e) => e.minute)).size)
    expect(mine.length).toBeLessThanOrEqual(2)
    const totals: Record<string, number> = {}
    for (const { user_id, messages } of mine.flatMap((e) => e.chatters)) totals[user_id] = (totals[user_id] ?? 0) + messages
    expect(totals).toEqual(sent)
  }, 60_000)
})
