import { describe, expect, test } from 'bun:test'
import { formatLine, parseLine } from './message.ts'

describe('parseLine', () => {
  test('reads tags, prefix, command and a trailing parameter', () => {
    expect(parseLine('@badge-info=;badges=broadcaster/1;color=#FF0000 :ada!ada@ada.tmi.twitch.tv PRIVMSG #ada :hello there')).toEqual({
      tags: { 'badge-info': '', badges: 'broadcaster/1', color: '#FF0000' },
      prefix: 'ada!ada@ada.tmi.twitch.tv',
      command: 'PRIVMSG',
      params: ['#ada', 'hello there'],
    })
  })

  test('a line without tags or prefix, and middle parameters', () => {
    expect(parseLine('CAP REQ :twitch.tv/tags twitch.tv/commands')).toEqual({
      tags: {},
      prefix: undefined,
      command: 'CAP',
      params: ['REQ', 'twitch.tv/tags twitch.tv/commands'],
    })
    expect(parseLine('NICK justinfan123')?.params).toEqual(['justinfan123'])
    expect(parseLine('PING')).toEqual({ tags: {}, prefix: undefined, command: 'PING', params: [] })
  })

  test('unescapes tag values as IRCv3 says', () => {
    expect(parseLine('@a=one\\stwo\\:three\\\\four\\r\\n;b;c=\\x;d=end\\ PING')?.tags).toEqual({
      a: 'one two;three\\four\r\n',
      b: '',
      c: 'x',
      d: 'end',
    })
  })

  test('an empty trailing parameter and one starting with a colon', () => {
    expect(parseLine('PRIVMSG #ada :')?.params).toEqual(['#ada', ''])
    expect(parseLine('PRIVMSG #ada ::)')?.params).toEqual(['#ada', ':)'])
  })

  test('tolerates repeated spaces between words', () => {
    expect(parseLine('JOIN   #ada')?.params).toEqual(['#ada'])
  })

  test('lines without a command are nothing, and never throw', () => {
    for (const line of ['', ' ', '@a=b', '@a=b ', ':prefix', ':prefix ', '@ :x ']) expect(parseLine(line)).toBeUndefined()
  })
})

describe('formatLine', () => {
  test('writes what parseLine reads', () => {
    const message = {
      tags: { 'display-name': 'Ada', emotes: '', 'reply-parent-msg-body': 'a; b\\c\r\nd' },
      prefix: 'ada!ada@ada.tmi.twitch.tv',
      command: 'PRIVMSG',
      params: ['#ada', 'hello there'],
    }
    const line = formatLine(message)
    expect(line).toBe('@display-name=Ada;emotes=;reply-parent-msg-body=a\\:\\sb\\\\c\\r\\nd :ada!ada@ada.tmi.twitch.tv PRIVMSG #ada :hello there')
    expect(parseLine(line)).toEqual(message)
  })

  test('the last parameter gets a colon only when it must', () => {
    const line = (params: string[]) => formatLine({ tags: {}, prefix: 'tmi.twitch.tv', command: 'X', params })
    expect(line(['a', 'b'])).toBe(':tmi.twitch.tv X a b')
    expect(line(['a', ''])).toBe(':tmi.twitch.tv X a :')
    expect(line(['a', 'b c'])).toBe(':tmi.twitch.tv X a :b c')
    expect(line(['a', ':)'])).toBe(':tmi.twitch.tv X a ::)')
    expect(formatLine({ tags: {}, prefix: undefined, command: 'PONG', params: ['tmi.twitch.tv'] })).toBe('PONG tmi.twitch.tv')
    expect(formatLine({ tags: {}, prefix: undefined, command: 'PONG', params: ['tmi.twitch.tv'] }, { trailing: true })).toBe('PONG :tmi.twitch.tv')
  })

  test('no parameter can end the line early', () => {
    expect(formatLine({ tags: {}, prefix: undefined, command: 'PRIVMSG', params: ['#a', 'x\r\nQUIT\0'] })).toBe('PRIVMSG #a :x  QUIT ')
  })
})
