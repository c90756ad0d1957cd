import { describe, expect, test } from 'bun:test'
import { CursorPart, decodeCursor, encodeCursor, toPage } from './pagination.ts'
import { Problem } from './problem.ts'

describe('cursors', () => {
  test('round-trip the sort key they were made from', () => {
    const cursor = encodeCursor(['2025-01-01T00:00:00Z', 42])
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(decodeCursor(cursor, ['string', 'number'] as const)).toEqual(['2025-01-01T00:00:00Z', 42])
  })

  test('no cursor means the first page', () => {
    expect(decodeCursor(undefined, ['number'] as const)).toBeUndefined()
  })

  test.each([
    ['not base64 JSON', 'garbage!'],
    ['empty', ''],
    ['JSON but not an array', Buffer.from('{"id":1}').toString('base64url')],
    ['too short', encodeCursor(['a'])],
    ['too long', encodeCursor(['a', 1, 2])],
    ['wrong types', encodeCursor([1, 'a'])],
    ['null inside', Buffer.from('[null,1]').toString('base64url')],
  ])('%s is a 400 problem naming `after`', (_, cursor) => {
    let thrown: unknown
    try {
      decodeCursor(cursor, ['string', 'number'] as const)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(Problem)
    const problem = thrown as Problem
    expect(problem.status).toBe(400)
    expect(problem.toBody().errors).toEqual([{ field: 'after', message: expect.any(String) }])
  })
})

describe('toPage', () => {
  const rows = [1, 2, 3].map((id) => ({ id }))

  test('a full page plus one row gives a cursor to the last row shown', () => {
    const page = toPage(rows, 2, (row) => String(row.id), (row) => [row.id])
    expect(page.data).toEqual(['1', '2'])
    expect(decodeCursor(page.pagination.cursor, ['number'] as const)).toEqual([2])
  })

  test('the last page has no cursor', () => {
    expect(toPage(rows, 3, (row) => row.id, (row) => [row.id]).pagination).toEqual({})
  })
})

describe('cursor parts', () => {
  const forged = (key: unknown[]) => Buffer.from(JSON.stringify(key)).toString('base64url')
  const refused = (cursor: string, shape: Parameters<typeof decodeCursor>[1]) => {
    try {
      decodeCursor(cursor, shape)
    } catch (error) {
      return error instanceof Problem && error.status === 400
    }
    return false
  }

  test('a list written by a timestamp and an id reads back exactly', () => {
    const key = ['2026-12-01 20:46:15.123456+00', '9223372036854775807'] as const
    expect(decodeCursor(encodeCursor(key), [CursorPart.timestamp, CursorPart.bigint])).toEqual([...key])
  })

  test.each([
    ['not a date', ['yesterday', '1']],
    ['a day the month lacks', ['2026-02-30 00:00:00+00', '1']],
    ['year zero', ['0000-01-01 00:00:00+00', '1']],
    ['a 25th hour', ['2026-01-01 24:00:00+00', '1']],
    ['nanoseconds', ['2026-01-01 00:00:00.1234567+00', '1']],
    ['a huge id', ['2026-01-01 00:00:00+00', '9223372036854775808']],
    ['a float id', ['2026-01-01 00:00:00+00', '1.5']],
    ['an id in exponent form', ['2026-01-01 00:00:00+00', '1e309']],
    ['a numeric id', ['2026-01-01 00:00:00+00', 1]],
    ['300 characters', ['2'.repeat(300), '1']],
  ])('timestamp and id: %s is a 400', (_, key) => {
    expect(refused(forged(key), [CursorPart.timestamp, CursorPart.bigint])).toBe(true)
  })

  test.each([
    ['a float', [1.5]],
    ['1e309 (Infinity once parsed)', '[1e309]'],
    ['past 2^53', [2 ** 53 + 2]],
    ['a string', ['1']],
  ])("'number' parts are safe integers: %s is a 400", (_, key) => {
    const cursor = typeof key === 'string' ? Buffer.from(key).toString('base64url') : forged(key)
    expect(refused(cursor, ['number'])).toBe(true)
  })

  test("'string' parts refuse NUL and other hidden characters, and length past 256", () => {
    for (const text of ['a\u0000b', 'a\u202Eb', 'a\u200Bb', 'x'.repeat(257)]) expect(refused(forged([text]), ['string'])).toBe(true)
    expect(decodeCursor(forged(['Just Chatting']), ['string'])).toEqual(['Just Chatting'])
  })
})
