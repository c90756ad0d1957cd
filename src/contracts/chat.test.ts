import { describe, expect, test } from 'bun:test'
import { chatEvents } from './chat.ts'

describe('chat contracts', () => {
  const activity = {
    broadcaster_id: '1',
    minute: '2026-12-02T10:00:00.000Z',
    chatters: [{ user_id: '2', messages: 3 }],
    chunk: 1,
    chunks: 1,
  }

  test('a minute of chat counts at least one message per chatter named', () => {
    const schema = chatEvents['chat.activity.v1']
    expect(schema.parse({ ...activity, room: 'x' })).toEqual(activity)
    expect(schema.safeParse({ ...activity, chatters: [{ user_id: '2', messages: 0 }] }).success).toBe(false)
  })

  test('a chunk holds at most 1 000 chatters', () => {
    const chatters = Array.from({ length: 1001 }, (_, i) => ({ user_id: String(i + 1), messages: 1 }))
    expect(chatEvents['chat.activity.v1'].safeParse({ ...activity, chatters }).success).toBe(false)
  })
})
