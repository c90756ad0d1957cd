import { z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { AppEnv } from '../../platform/http/env.ts'
import { toPage } from '../../platform/http/pagination.ts'
import { toCsv, wantsCsv } from './csv.ts'

/**
 * A list's OpenAPI answer: JSON, or CSV for `Accept: text/csv`.
 * @example
 * responses: { 200: listResponse(data(PeriodView), 'The periods') }
 */
export const listResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema }, 'text/csv': { schema: z.string() } },
})

/** Helix's envelope: `{ data: [...] }`, with the rollups' `as_of` where the list comes from them. */
export const data = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), as_of: z.string().nullable().optional() })

/** The envelope of a page: `data`, Helix's `pagination.cursor` (absent on the last page), and `as_of`. */
export const paged = <T extends z.ZodType>(item: T) => data(item).extend({ pagination: z.object({ cursor: z.string().optional() }) })

type CsvShape<T> = { columns: readonly string[]; rows: (item: T) => Record<string, unknown>[]; filename: string }

const csvAnswer = <T>(c: Context<AppEnv>, items: T[], csv: CsvShape<T>) =>
  c.body(toCsv(items.flatMap(csv.rows), csv.columns), 200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${csv.filename}.csv"`,
  })

/**
 * Answers a list as the client asked: CSV rows (`csvRows` flattens an item into columns) for
 * `Accept: text/csv`, or the JSON envelope.
 */
export function answerList<T>(
  c: Context<AppEnv>,
  body: { data: T[]; as_of?: string | null },
  csv: CsvShape<T>,
) {
  return wantsCsv(c.req.header('accept')) ? csvAnswer(c, body.data, csv) : c.json(body, 200)
}

/**
 * Answers a long list: a page of `first` items after the cursor (`load` asked for one more, to
 * know whether a next page exists), or, as CSV, the whole list — a download is never cut, so
 * `first` and `after` do not apply to it.
 */
export async function answerPaged<T>(
  c: Context<AppEnv>,
  list: {
    first: number
    /** The list's items after the cursor, at most `limit`; without `page`, all of them from the start. */
    load: (page?: { limit: number }) => Promise<T[]>
    /** The sort key of an item, which the next page's cursor holds. */
    keyOf: (item: T) => readonly (string | number)[]
    asOf?: () => Promise<string | null>
  },
  csv: CsvShape<T>,
) {
  if (wantsCsv(c.req.header('accept'))) return csvAnswer(c, await list.load(), csv)
  const page = toPage(await list.load({ limit: list.first + 1 }), list.first, (item) => item, list.keyOf)
  return c.json(list.asOf ? { ...page, as_of: await list.asOf() } : page, 200)
}
