import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import postgres, { type Sql } from 'postgres'
import type { Histogram } from 'prom-client'
import { histogramSeries } from '../metrics.ts'

export type ModuleDatabase = {
  /** Raw postgres.js client, for hot paths and SQL drizzle cannot express. */
  sql: Sql
  /** drizzle over the same pool; hot paths use `.prepare()`d queries. */
  db: PostgresJsDatabase
  close: () => Promise<void>
}

type Observe = (kind: 'query' | 'transaction', seconds: number) => void
type Thenable = { then: (onFulfilled?: (value: unknown) => unknown, onRejected?: (error: unknown) => unknown) => unknown }

// postgres.js queries are lazy promises; hooking `then` times the round trip itself.
function timeQuery<Q extends Thenable>(query: Q, observe: Observe): Q {
  const started = performance.now()
  const then = query.then.bind(query) as (
    onFulfilled: (value: unknown) => unknown,
    onRejected: (error: unknown) => unknown,
  ) => Promise<unknown>
  const done = () => observe('query', (performance.now() - started) / 1000)
  query.then = ((onFulfilled?: (value: unknown) => unknown, onRejected?: (error: unknown) => unknown) =>
    then(
      (value) => {
        done()
        return onFulfilled ? onFulfilled(value) : value
      },
      (error) => {
        done()
        if (onRejected) return onRejected(error)
        throw error
      },
    )) as Q['then']
  return query
}

const isTemplate = (value: unknown): value is TemplateStringsArray => Array.isArray(value) && 'raw' in value

/**
 * Wraps the pool so every statement drizzle or module code sends is timed. Transactions are
 * timed as a whole: statements inside one run on a connection the wrapper does not see.
 */
function timed(sql: Sql, observe: Observe): Sql {
  // Built once: drizzle reads `unsafe` for every statement it sends.
  const unsafe = (...args: Parameters<Sql['unsafe']>) => timeQuery(sql.unsafe(...args), observe)
  const begin = async (...args: unknown[]) => {
    const started = performance.now()
    try {
      return await (sql.begin as (...a: unknown[]) => Promise<unknown>)(...args)
    } finally {
      observe('transaction', (performance.now() - started) / 1000)
    }
  }
  return new Proxy(sql, {
    // sql`…` in module code; sql(rows) and other helpers build fragments, not queries.
    apply(target, thisArg, args: unknown[]) {
      const result = Reflect.apply(target, thisArg, args) as unknown
      return isTemplate(args[0]) ? timeQuery(result as Thenable, observe) : result
    },
    get(target, property, receiver) {
      if (property === 'unsafe') return unsafe
      if (property === 'begin') return begin
      return Reflect.get(target, property, receiver)
    },
  })
}

export function createModuleDatabase(options: {
  module: string
  url: string
  poolMax: number
  queryDuration: Histogram<'module' | 'kind'>
}): ModuleDatabase {
  const sql = postgres(options.url, {
    max: options.poolMax,
    onnotice: () => {},
    connection: { application_name: `ondes-${options.module}` },
  })
  const series = {
    query: histogramSeries(options.queryDuration, { module: options.module, kind: 'query' }),
    transaction: histogramSeries(options.queryDuration, { module: options.module, kind: 'transaction' }),
  }
  const observed = timed(sql, (kind, seconds) => series[kind](seconds))
  return {
    sql: observed,
    db: drizzle(observed),
    close: () => sql.end({ timeout: 5 }),
  }
}

/** Creates `name` on the server behind `adminUrl` if it does not exist yet. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  try {
    const [row] = await admin`select 1 as present from pg_database where datname = ${name}`
    if (!row) {
      try {
        await admin.unsafe(`create database "${name.replaceAll('"', '""')}"`)
      } catch (error) {
        // Another process created it between our check and our create.
        if (!['42P04', '23505'].includes(String((error as { code?: string }).code))) throw error
      }
    }
  } finally {
    await admin.end()
  }
}

/** The URL of database `name` on the same server as `url`. */
export function withDatabase(url: string, name: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${name}`
  return parsed.toString()
}
