import type { Clock } from '../clock.ts'

export type MovableClock = Clock & {
  /** Moves the time on by `ms` (never back: periods and versions assume time goes forward). */
  advance: (ms: number) => void
}

/**
 * A clock that stands still until a test moves it; hand it to `createTestPlatform`'s `clock`.
 * @example
 * const clock = movableClock(new Date('2026-01-01T00:00:00Z'))
 * const app = await createTestPlatform([subscriptions], {}, { clock })
 * clock.advance(30 * 86_400_000)
 */
export function movableClock(start: Date = new Date()): MovableClock {
  let now = start.getTime()
  const clock = () => new Date(now)
  return Object.assign(clock, {
    advance: (ms: number) => {
      if (!(ms >= 0)) throw new RangeError(`a clock moves forward, not by ${ms} ms`)
      now += ms
    },
  })
}
