import { describe, expect, test } from 'bun:test'
import { createVerifiedTokens } from './verified-tokens.ts'

describe('verified tokens', () => {
  test('a token is recalled until its time, then forgotten', () => {
    let now = 1000
    const verified = createVerifiedTokens<string>(10, () => now)
    verified.remember('a', 'claims of a', 1060)
    expect(verified.recall('a')).toBe('claims of a')
    expect(verified.recall('b')).toBeUndefined()
    now = 1059
    expect(verified.recall('a')).toBe('claims of a')
    now = 1060
    expect(verified.recall('a')).toBeUndefined()
    expect(verified.size()).toBe(0)
  })

  test('at most `limit` are kept, the one remembered first forgotten first', () => {
    const verified = createVerifiedTokens<number>(3, () => 0)
    for (const [i, token] of ['a', 'b', 'c'].entries()) verified.remember(token, i, 60)
    // Remembering one already kept makes no room: nothing else is forgotten.
    verified.remember('b', 10, 60)
    expect(verified.size()).toBe(3)
    verified.remember('d', 3, 60)
    expect(verified.size()).toBe(3)
    expect(verified.recall('a')).toBeUndefined()
    expect([verified.recall('b'), verified.recall('c'), verified.recall('d')]).toEqual([10, 2, 3])
    for (let i = 0; i < 100; i++) verified.remember(`token-${i}`, i, 60)
    expect(verified.size()).toBe(3)
    expect(verified.recall('token-99')).toBe(99)
  })
})
