/** The IRC lines moderation sends, as tmi.js and twurple read them, and the durations chatters type. */
import { describe, expect, test } from 'bun:test'
import { clearchatLine, clearmsgLine } from '../../src/modules/chat/bans.ts'
import { parseDuration } from '../../src/modules/chat/commands/durations.ts'
import { parseLine } from '../../src/modules/chat/irc/message.ts'
import { changeLines, DEFAULT_ROOM_SETTINGS, roomstateLine } from '../../src/modules/chat/room-settings.ts'
import { followAge } from '../../src/modules/chat/rules.ts'

const at = new Date('2026-12-02T06:00:00.000Z')

describe('ROOMSTATE', () => {
  test('in full on join, with both subs-only and slow (twurple takes that for the join’s)', () => {
    expect(roomstateLine('ada', '42', DEFAULT_ROOM_SETTINGS)).toBe(
      '@emote-only=0;followers-only=-1;r9k=0;room-id=42;slow=0;subs-only=0 :tmi.twitch.tv ROOMSTATE #ada',
    )
    expect(roomstateLine('ada', '42', { ...DEFAULT_ROOM_SETTINGS, slowModeWaitTime: 30, followerModeDuration: 0, subscriberMode: true })).toBe(
      '@emote-only=0;followers-only=0;r9k=0;room-id=42;slow=30;subs-only=1 :tmi.twitch.tv ROOMSTATE #ada',
    )
  })

  test('on change: one partial ROOMSTATE per changed mode, never subs-only beside slow, and its NOTICE', () => {
    const after = { ...DEFAULT_ROOM_SETTINGS, slowModeWaitTime: 10, subscriberMode: true, nonModeratorChatDelayDuration: 4 }
    expect(changeLines('ada', '42', DEFAULT_ROOM_SETTINGS, after)).toEqual([
      '@room-id=42;slow=10 :tmi.twitch.tv ROOMSTATE #ada',
      '@msg-id=slow_on :tmi.twitch.tv NOTICE #ada :This room is now in slow mode. You may send messages every 10 seconds.',
      '@room-id=42;subs-only=1 :tmi.twitch.tv ROOMSTATE #ada',
      '@msg-id=subs_on :tmi.twitch.tv NOTICE #ada :This room is now in subscribers-only mode.',
    ])
    expect(changeLines('ada', '42', after, after)).toEqual([])
    expect(changeLines('ada', '42', DEFAULT_ROOM_SETTINGS, { ...DEFAULT_ROOM_SETTINGS, followerModeDuration: 0 })).toEqual([
      '@followers-only=0;room-id=42 :tmi.twitch.tv ROOMSTATE #ada',
      '@msg-id=followers_on_zero :tmi.twitch.tv NOTICE #ada :This room is now in followers-only mode.',
    ])
  })
})

describe('CLEARCHAT and CLEARMSG', () => {
  test('a timeout carries room-id, target-user-id, ban-duration and tmi-sent-ts; a ban no duration; a clear no user', () => {
    expect(parseLine(clearchatLine('ada', '42', at, { login: 'bob', userId: '7', seconds: 600 }))).toEqual({
      tags: { 'ban-duration': '600', 'room-id': '42', 'target-user-id': '7', 'tmi-sent-ts': String(at.getTime()) },
      prefix: 'tmi.twitch.tv',
      command: 'CLEARCHAT',
      params: ['#ada', 'bob'],
    })
    expect(parseLine(clearchatLine('ada', '42', at, { login: 'bob', userId: '7' }))?.tags).not.toHaveProperty('ban-duration')
    expect(parseLine(clearchatLine('ada', '42', at))).toMatchObject({ tags: { 'room-id': '42' }, params: ['#ada'] })
  })

  test('a deletion carries login and target-msg-id, and the text as its last parameter', () => {
    const id = '0f5a6c1e-8a9b-4c3d-9e2f-1a2b3c4d5e6f'
    expect(parseLine(clearmsgLine('ada', '42', at, { id, login: 'bob', text: 'so; much\\spam :)' }))).toEqual({
      tags: { login: 'bob', 'room-id': '42', 'target-msg-id': id, 'tmi-sent-ts': String(at.getTime()) },
      prefix: 'tmi.twitch.tv',
      command: 'CLEARMSG',
      params: ['#ada', 'so; much\\spam :)'],
    })
  })
})

describe('durations', () => {
  test.each([
    ['600', 1, 600],
    ['10m', 1, 600],
    ['2 hours', 1, 7200],
    ['1w', 1, 604_800],
    ['30', 60, 1800],
    ['3mo', 60, 7_776_000],
    ['soon', 1, undefined],
    ['-5', 1, undefined],
    ['5 fortnights', 1, undefined],
  ])('%s (bare unit %i s) is %p seconds', (text, unit, seconds) => {
    expect(parseDuration(text, unit)).toBe(seconds)
  })

  test('follow ages are worded in their largest whole unit', () => {
    expect([1, 15, 60, 1440, 10_080, 129_600].map(followAge)).toEqual(['1 minute', '15 minutes', '1 hour', '1 day', '1 week', '3 months'])
  })
})
