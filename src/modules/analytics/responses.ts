import { z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { AppEnv } from '../../platform/http/env.ts'
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

/**
 * Answers a list as the client asked: CSV rows (`csvRows` flattens an item into columns) for
 * `Accept: text/csv`, or the JSON envelope.
 */
export function answerList<T>(
  c: Context<AppEnv>,
  body: { data: T[]; as_of?: string | null },
  csv: { columns: readonly string[]; rows: (item: T) => Record<string, unknown>[]; filename: string },
) {
  if (wantsCsv(c.req.header('accept'))) {
    return c.body(toCsv(body.data.flatMap(csv.rows), csv.columns), 200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${csv.filename}.csv"`,
    })
  }
  return c.json(body, 200)
}
