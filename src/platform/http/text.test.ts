import { describe, expect, test } from 'bun:test'
import { z } from '@hono/zod-openapi'
import { hiddenCharacter, safeText, withSafeText } from './text.ts'

describe('hiddenCharacter', () => {
  test.each([
    ['\u0000', 'a control character (U+0000)'],
    ['\u001B', 'a control character (U+001B)'],
    ['\r', 'a control character (U+000D)'],
    ['\u007F', 'a control character (U+007F)'],
    ['\u009B', 'a control character (U+009B)'],
    ['\u2028', 'a control character (U+2028)'],
    ['\u202A', 'a bidirectional control character (U+202A)'],
    ['\u202E', 'a bidirectional control character (U+202E)'],
    ['\u2066', 'a bidirectional control character (U+2066)'],
    ['\u2069', 'a bidirectional control character (U+2069)'],
    ['\u200E', 'a bidirectional control character (U+200E)'],
    ['\u061C', 'a bidirectional control character (U+061C)'],
    ['\u200B', 'a zero-width character (U+200B)'],
    ['\u200D', 'a zero-width character (U+200D)'],
    ['\u2060', 'a zero-width character (U+2060)'],
    ['\uFEFF', 'a zero-width character (U+FEFF)'],
  ])('%j is named', (char, name) => {
    expect(hiddenCharacter(`abc${char}def`, { multiline: true })).toBe(`contains ${name}`)
  })

  test('a lone surrogate is not text', () => {
    expect(hiddenCharacter('a\uD800b')).toBe('is not well-formed Unicode (a lone surrogate)')
  })

  test('tabs and line feeds only in multi-line text', () => {
    expect(hiddenCharacter('a\tb\nc', { multiline: true })).toBeUndefined()
    expect(hiddenCharacter('a\nb')).toBe('contains a control character (U+000A); this field is one line')
  })

  test('visible text of any script passes, single emoji too', () => {
    for (const text of ['Ninja', 'élan café', 'Привет', 'مرحبا', 'こんにちは', '🎮 dev 🏽']) expect(hiddenCharacter(text)).toBeUndefined()
    // The issue's rule refuses every zero-width character, so joined emoji (👩‍💻) are refused too.
    expect(hiddenCharacter('👩\u200D💻')).toBe('contains a zero-width character (U+200D)')
  })
})

describe('schemas', () => {
  test('safeText bounds the length and names the character', () => {
    const field = safeText({ min: 1, max: 5 })
    expect(field.safeParse('abc').success).toBe(true)
    expect(field.safeParse('abcdef').success).toBe(false)
    expect(field.safeParse('').success).toBe(false)
    expect(field.safeParse('a\u0000').error?.issues.map((i) => i.message)).toEqual(['contains a control character (U+0000)'])
  })

  test('withSafeText keeps the schema it wraps, and names the field in an object', () => {
    const body = z.object({ email: withSafeText(z.email().max(254)) })
    expect(body.safeParse({ email: 'a@example.test' }).success).toBe(true)
    const issues = body.safeParse({ email: 'a\u202E@example.test' }).error?.issues ?? []
    expect(issues).toContainEqual(expect.objectContaining({ path: ['email'], message: 'contains a bidirectional control character (U+202E)' }))
  })
})
