/** Postgres SQLSTATEs the modules turn into 4xx answers. */
export const PG = { uniqueViolation: '23505', foreignKeyViolation: '23503', checkViolation: '23514' } as const

/** True when `error` (or what drizzle wrapped in `cause`) is a Postgres error with `code`. */
export function hasPgCode(error: unknown, code: string): boolean {
  const e = error as { code?: string; cause?: unknown } | undefined
  if (!e) return false
  return e.code === code || (e.cause !== undefined && hasPgCode(e.cause, code))
}
