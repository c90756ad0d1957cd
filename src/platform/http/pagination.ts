import { z } from '@hono/zod-openapi'
import { Problem } from './problem.ts'

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

export function decodeCursor<T extends readonly ('string' | 'number')[]>(
  cursor: string | undefined,
  shape: T,
): { [K in keyof T]: T[K] extends 'string' ? string : number } | undefined {
  if (cursor === undefined) return undefined
  let key: unknown
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    key = undefined
  }
  if (!Array.isArray(key) || key.length !== shape.length || key.some((part, i) => typeof part !== shape[i])) {
    throw new Problem(400, 'Invalid query parameter: after: not a cursor this list issued', {
      code: 'request.invalid',
      errors: [{ field: 'after', message: 'not a cursor this list issued' }],
    })
  }
  return key as { [K in keyof T]: T[K] extends 'string' ? string : number }
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
