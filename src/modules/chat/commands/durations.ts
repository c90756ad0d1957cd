const UNITS: Record<string, number> = {
  s: 1,
  sec: 1,
  secs: 1,
  second: 1,
  seconds: 1,
  m: 60,
  min: 60,
  mins: 60,
  minute: 60,
  minutes: 60,
  h: 3600,
  hr: 3600,
  hrs: 3600,
  hour: 3600,
  hours: 3600,
  d: 86_400,
  day: 86_400,
  days: 86_400,
  w: 604_800,
  week: 604_800,
  weeks: 604_800,
  mo: 2_592_000,
  month: 2_592_000,
  months: 2_592_000,
}

/**
 * A duration as chatters type it (`600`, `10m`, `2 hours`, `1w`, `3mo`), in seconds; a bare
 * number counts in `bareUnit` seconds (1 for /timeout, 60 for /followers). Undefined when it is
 * not one.
 *
 * @example
 * parseDuration('10m', 1) // 600
 * parseDuration('30', 60) // 1800
 * parseDuration('soon', 1) // undefined
 */
export function parseDuration(text: string, bareUnit: number): number | undefined {
  const match = /^(\d{1,9})\s*([a-z]*)$/i.exec(text.trim())
  if (!match) return undefined
  const unit = match[2] === '' ? bareUnit : UNITS[match[2]!.toLowerCase()]
  return unit === undefined ? undefined : Number(match[1]) * unit
}
