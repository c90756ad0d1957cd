/**
 * One postgres.js pool serves both drizzle and raw queries, and postgres.js keeps one set of
 * parsers and serializers per client. drizzle (0.45, `postgres-js/driver.js`) replaces the
 * date/time parsers with ones that keep the text, and the json and date/time serializers with
 * ones that pass values through, so that its column mappers see Postgres' own text (microsecond
 * precision, `timestamp` read as UTC). Those stay; this file makes the raw side parse as plain
 * postgres.js would, and makes each serializer accept what either side sends.
 */
import { makePgArray, PgDialect } from 'drizzle-orm/pg-core'
import type { Sql } from 'postgres'

const toDate = (text: string) => new Date(text)

/**
 * Parses Postgres' array text (`{"2026-01-02 03:04:05+00",NULL}`, nested too), each element with
 * `parse`. Not drizzle's `parsePgArray`: that one keeps NULL as the text "NULL".
 */
export function parseArray(text: string, parse: (element: string) => unknown): unknown[] {
  let i = 0
  const list = (): unknown[] => {
    const out: unknown[] = []
    i++ // {
    while (text[i] !== '}') {
      if (text[i] === '{') out.push(list())
      else if (text[i] === '"') {
        let element = ''
        for (i++; text[i] !== '"'; i++) element += text[i] === '\\' ? text[++i] : text[i]
        i++
        out.push(parse(element))
      } else {
        const end = text.slice(i).search(/[,}]/) + i
        const element = text.slice(i, end)
        out.push(element === 'NULL' ? null : parse(element))
        i = end
      }
      if (text[i] === ',') i++
    }
    i++ // }
    return out
  }
  // A lower bound other than 1 comes first (`[0:1]={…}`); the values are all a reader needs.
  i = text.indexOf('{')
  return list()
}

const deep = (parse: (text: string) => unknown) => (text: string) => parseArray(text, parse)

/** What plain postgres.js makes of the types drizzle leaves as text (oid → parser); `time` is text in both. */
const RAW_PARSERS: Record<number, (text: string) => unknown> = {
  1082: toDate, // date
  1114: toDate, // timestamp
  1184: toDate, // timestamptz
  1182: deep(toDate), // date[]
  1115: deep(toDate), // timestamp[]
  1185: deep(toDate), // timestamptz[]
  1231: deep(String), // numeric[]
}

type Column = { name: string; type: number }
type Rows = unknown[] & { columns?: Column[] | null }

/** Re-parses, in place, the values of `result`'s columns drizzle's parsers left as text. */
export function parseAsPostgresJs(result: unknown): unknown {
  if (!Array.isArray(result)) return result
  const columns = (result as Rows).columns
  // A multi-statement `unsafe` resolves to one result per statement.
  if (!columns) {
    for (const part of result) if (Array.isArray(part)) parseAsPostgresJs(part)
    return result
  }
  for (let i = 0; i < columns.length; i++) {
    const parse = RAW_PARSERS[columns[i]!.type]
    if (!parse) continue
    const key = columns[i]!.name
    for (const row of result as (Record<string, unknown> | unknown[])[]) {
      // `.values()` rows are arrays, indexed like the columns; object rows are keyed by name.
      // Only text: on a client drizzle never set up, postgres.js has parsed them already.
      if (Array.isArray(row)) {
        const value = row[i]
        if (typeof value === 'string') row[i] = parse(value)
      } else {
        const value = row[key]
        if (typeof value === 'string') row[key] = parse(value)
      }
    }
  }
  return result
}

const timeText = (value: unknown): unknown => (value instanceof Date ? value.toISOString() : value)
const timeArray = (value: unknown): unknown => {
  const iso = (x: unknown): unknown => (Array.isArray(x) ? x.map(iso) : timeText(x))
  return Array.isArray(value) ? makePgArray(iso(value) as unknown[]) : value
}
const jsonText = (value: unknown): unknown => (typeof value === 'string' ? value : JSON.stringify(value))

/**
 * Serializers both sides can use: drizzle sends text it built (ISO times, JSON, array literals),
 * which passes through; raw queries send `Date`s, arrays and objects, which are written out.
 * Call after drizzle has set up the client.
 */
export function tolerateBoth(options: Sql['options']): void {
  const { serializers } = options
  for (const oid of [1082, 1083, 1114, 1184]) serializers[oid] = timeText
  for (const oid of [1182, 1115, 1185, 1231]) serializers[oid] = timeArray
  for (const oid of [114, 3802]) serializers[oid] = jsonText
}

/** The dialect `drizzle()` builds for a client when given no casing. */
export const drizzleDialect = () => new PgDialect()
