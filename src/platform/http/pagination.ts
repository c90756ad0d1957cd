import { z } from '@hono/zod-openapi'
import { Problem } from './problem.ts'
import { safeText } from './text.ts'

/** `first` and `after`, as Twitch Helix names them. */
export const pageQuery = z.object({
  first: z.coerce.number().int().min(1).max(100).default(20).openapi({ description: 'Page size, 1–100' }),
  after: z.string().max(512).optional().openapi({ description: 'Cursor from the previous page' }),
})

export const listEnvelope = <T extends z.ZodType>(item: T) =>
  z.object({
    data: z.array(item),
    pagination: z.object({ cursor: z.string().optional() }),
  })

/** Cursors are opaque to clients: base64url JSON of the last row's sort key. */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url')
}

// `::text` of a timestamptz as Postgres writes it, e.g. 2026-12-01 20:46:15.123456+00.
const POSTGRES_TIME = /^(\d{4})-(\d{2})-(\d{2}) ([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?[+-](0\d|1[0-4])(:[0-5]\d)?$/

/** True when Postgres will cast `text` to a timestamptz: the pattern, and a day the month has. */
function isPostgresTime(text: string): boolean {
  const [, year, month, day] = POSTGRES_TIME.exec(text)?.map(Number) ?? []
  if (!year || month === undefined || day === undefined) return false
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day
}

/**
 * Schemas for the parts of a cursor, each the shape a list wrote. A part that fails its
 * schema is a 400, never a failed cast in SQL (`'1e309'::bigint`, a 31st of February).
 *
 * @example
 * decodeCursor(after, [CursorPart.timestamp, CursorPart.bigint]) // a follow list: [followed_at::text, user id]
 */
export const CursorPart = {
  /** A timestamptz as Postgres prints it (`column::text`), full microseconds, so no row is skipped or repeated. */
  timestamp: z.string().max(40).refine(isPostgresTime),
  /** A positive bigint id, as a string (exact beyond 2^53). */
  bigint: z
    .string()
    .regex(/^[1-9][0-9]{0,18}$/)
    // Guarded: zod runs this check after a failed regex too, and BigInt('x') throws.
    .refine((id) => !/^[0-9]+$/.test(id) || BigInt(id) <= 2n ** 63n - 1n),
  /** A whole number JavaScript holds exactly (no float, no 1e309, nothing past 2^53). */
  integer: z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER),
  /** Text of a sort key (a name), without hidden characters (NUL fails in Postgres). */
  text: safeText({ max: 256 }),
}

type PartSpec = 'string' | 'number' | z.ZodType<string | number>
type Decoded<T extends readonly PartSpec[]> = {
  [K in keyof T]: T[K] extends 'string' ? string : T[K] extends 'number' ? number : T[K] extends z.ZodType ? z.infer<T[K]> : never
}

/**
 * The sort key `cursor` holds, each part checked against `shape`: a schema (`CursorPart` or the
 * module's own id schema), or `'string'` (`CursorPart.text`) or `'number'`
 * (`CursorPart.integer`). Undefined for no cursor; a 400 naming `after` for anything this list
 * could not have issued.
 *
 * @example
 * const cursor = decodeCursor(c.req.valid('query').after, [CursorPart.timestamp, UserId])
 * const rows = await follows.followersOf(id, first, cursor) // cursor: readonly [string, string] | undefined
 */
export function decodeCursor<const T extends readonly PartSpec[]>(cursor: string | undefined, shape: T): Decoded<T> | undefined {
  if (cursor === undefined) return undefined
  let key: unknown
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    key = undefined
  }
  const schemas = shape.map((part) => (part === 'string' ? CursorPart.text : part === 'number' ? CursorPart.integer : part))
  if (!Array.isArray(key) || key.length !== shape.length || key.some((part, i) => !schemas[i]!.safeParse(part).success)) {
    throw new Problem(400, 'Invalid query parameter: after: not a cursor this list issued', {
      code: 'request.invalid',
      errors: [{ field: 'after', message: 'not a cursor this list issued' }],
    })
  }
  return key as Decoded<T>
}

/** Turns `first + 1` fetched rows into a page and the cursor to the next one. */
export function toPage<Row, Item>(
  rows: Row[],
  first: number,
  toItem: (row: Row) => Item,
  keyOf: (row: Row) => readonly (string | number)[],
): { data: Item[]; pagination: { cursor?: string } } {
  const page = rows.slice(0, first)
  const last = page.at(-1)
  return {
    data: page.map(toItem),
    pagination: rows.length > first && last !== undefined ? { cursor: encodeCursor(keyOf(last)) } : {},
  }
}
