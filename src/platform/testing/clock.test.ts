import { describe, expect, test } from 'bun:test'
import { movableClock } from './clock.ts'

describe('movableClock', () => {
  test('stands still until moved, then tells the moved time', () => {
    const clock = movableClock(new Date('2026-01-01T00:00:00Z'))
    expect(clock().toISOString()).toBe('2026-01-01T00:00:00.000Z')
    clock.advance(30 * 86_400_000)
    expect(clock().toISOString()).toBe('2026-01-31T00:00:00.000Z')
  })

  test('refuses to go back', () => {
    const clock = movableClock()
    expect(() => clock.advance(-1)).toThrow(RangeError)
  })

  test('hands out copies, so a caller cannot move it by mutating a date', () => {
    const clock = movableClock(new Date('2026-01-01T00:00:00Z'))
    clock().setFullYear(2030)
    expect(clock().getUTCFullYear()).toBe(2026)
  })
})
