import { describe, expect, test } from 'bun:test'
import { decodeCursor, encodeCursor, toPage } from './pagination.ts'
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
