import { drizzle, PostgresJsSession, PostgresJsTransaction, type PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import type { ExtractTablesWithRelations } from 'drizzle-orm'
import type { Histogram } from 'prom-client'
import postgres, { type Sql, type TransactionSql } from 'postgres'
import { histogramSeries, type PoolUse } from '../metrics.ts'
import { drizzleDialect, parseAsPostgresJs, tolerateBoth } from './parsing.ts'

type Schema = Record<string, never>
type Relations = ExtractTablesWithRelations<Schema>

/** The drizzle transaction `ModuleDatabase.transaction` opens, with the raw client of its connection. */
export type Transaction = PostgresJsTransaction<Schema, Relations> & {
  /** postgres.js on the transaction's connection, parsing as `ModuleDatabase.sql` does. */
  sql: TransactionSql
}

export type ModuleDatabase = {
  /**
   * Raw postgres.js client, for hot paths and SQL drizzle cannot express. It parses as plain
   * postgres.js does: `timestamptz`, `timestamp` and `date` come back as `Date`, `int8`
   * (`bigint`, `count(*)`) as a `string` (exact; cast to `::int` for a number), `numeric` as a
   * `string`, `json`/`jsonb` parsed. A `Date` parameter binds; a string bound to a json
   * parameter is taken as JSON text (as node-postgres does), anything else is `JSON.stringify`d.
   * Rows read with `.forEach`, `.cursor` or on a `reserve()`d connection come as drizzle reads
   * them (timestamps as text): await the query instead where a `Date` matters.
   * @example
   * const [row] = await database.sql<{ created_at: Date }[]>`select created_at from users where id = ${id}`
   */
  sql: Sql
  /** drizzle over the same pool, with its own parsing; hot paths use `.prepare()`d queries. */
  db: PostgresJsDatabase
  /**
   * Runs `work` in one transaction whose drizzle (`tx` itself) and raw client (`tx.sql`) share
   * its connection: a module's change and the events it `publish`es commit together.
   * @example
   * await database.transaction(async (tx) => {
   *   const [user] = await tx.insert(users).values(row).returning()
   *   await publish(tx, 'users.registered.v1', { user_id: String(user.id), login: user.login })
   * })
   */
  transaction: <T>(work: (tx: Transaction) => Promise<T>) => Promise<T>
  close: () => Promise<void>
}

type Observe = (kind: 'query' | 'transaction', seconds: number) => void
/** What the pool's wrapper reports: durations, and each statement or transaction as it starts and ends. */
type Instruments = { observe: Observe; started: () => void; finished: () => void }
type Thenable = { then: (onFulfilled?: (value: unknown) => unknown, onRejected?: (error: unknown) => unknown) => unknown }
type Finish = (value: unknown) => unknown

// postgres.js queries are lazy promises; hooking `then` times the round trip itself, and lets the
// raw client parse the result before the caller sees it.
function hookQuery<Q extends Thenable>(query: Q, instruments: Instruments | undefined, finish: Finish | undefined): Q {
  const started = performance.now()
  // Counted in flight from its first `then` (which sends it) to its answer: a fragment nested in
  // another query is a query object too, but is never awaited.
  let inFlight: 'no' | 'yes' | 'done' = 'no'
  const then = query.then.bind(query) as (
    onFulfilled: (value: unknown) => unknown,
    onRejected: (error: unknown) => unknown,
  ) => Promise<unknown>
  const done = () => {
    if (inFlight === 'yes') instruments?.finished()
    inFlight = 'done'
    instruments?.observe('query', (performance.now() - started) / 1000)
  }
  query.then = ((onFulfilled?: (value: unknown) => unknown, onRejected?: (error: unknown) => unknown) => {
    if (inFlight === 'no') {
      inFlight = 'yes'
      instruments?.started()
    }
    return then(
      (value) => {
        done()
        const result = finish ? finish(value) : value
        return onFulfilled ? onFulfilled(result) : result
      },
      (error) => {
        done()
        if (onRejected) return onRejected(error)
        throw error
      },
    )
  }) as Q['then']
  return query
}

const isTemplate = (value: unknown): value is TemplateStringsArray => Array.isArray(value) && 'raw' in value

/**
 * Wraps a client (the pool, or a transaction's connection) so its statements are timed when
 * `observe` is given and parsed as plain postgres.js when `raw`. Transactions are timed as a
 * whole: statements inside one run on a connection the pool's wrapper does not see.
 */
function wrap<S extends Sql | TransactionSql>(sql: S, instruments: Instruments | undefined, raw: boolean): S {
  const finish = raw ? parseAsPostgresJs : undefined
  // Built once: drizzle reads `unsafe` for every statement it sends.
  const unsafe = (...args: Parameters<Sql['unsafe']>) => hookQuery(sql.unsafe(...args), instruments, finish)
  // A raw client's transactions and savepoints hand their callback a raw client too.
  const scoped = (open: (...a: unknown[]) => Promise<unknown>) => (...args: unknown[]) => {
    const work = args.at(-1)
    if (raw && typeof work === 'function') {
      args[args.length - 1] = (tx: TransactionSql) => (work as (tx: TransactionSql) => unknown)(wrap(tx, undefined, true))
    }
    return open(...args)
  }
  const begin = async (...args: unknown[]) => {
    const started = performance.now()
    instruments?.started()
    try {
      return await scoped((sql as Sql).begin as (...a: unknown[]) => Promise<unknown>)(...args)
    } finally {
      instruments?.finished()
      instruments?.observe('transaction', (performance.now() - started) / 1000)
    }
  }
  const savepoint = 'savepoint' in sql ? scoped(sql.savepoint as (...a: unknown[]) => Promise<unknown>) : undefined
  return new Proxy(sql, {
    // sql`…` in module code; sql(rows) and other helpers build fragments, not queries.
    apply(target, thisArg, args: unknown[]) {
      const result = Reflect.apply(target as (...a: unknown[]) => unknown, thisArg, args) as unknown
      return isTemplate(args[0]) ? hookQuery(result as Thenable, instruments, finish) : result
    },
    get(target, property, receiver) {
      if (property === 'unsafe') return unsafe
      if (property === 'begin' && 'begin' in target) return begin
      if (property === 'savepoint' && savepoint) return savepoint
      return Reflect.get(target, property, receiver)
    },
  })
}

const dialect = drizzleDialect()

/**
 * Opens a `Transaction` on `client`: what `ModuleDatabase.transaction` does on its pool, for code
 * holding a bare postgres.js client (test probes, scripts).
 * @example
 * await transactionOn(sql, (tx) => publish(tx, 'probe.pinged.v1', { n: 1 }))
 */
export function transactionOn<T>(client: Sql, work: (tx: Transaction) => Promise<T>): Promise<T> {
  return client.begin(async (tx) => {
    // drizzle's own transaction over the connection postgres.js opened (as drizzle's
    // `PostgresJsSession.transaction` builds it), beside the raw client of that connection.
    // (drizzle's types want an `Sql` for a session's client; its own transactions pass this one.)
    const session = new PostgresJsSession<TransactionSql & Sql, Schema, Relations>(tx as TransactionSql & Sql, dialect, undefined)
    return work(Object.assign(new PostgresJsTransaction<Schema, Relations>(dialect, session, undefined), { sql: wrap(tx, undefined, true) }))
  }) as Promise<T>
}

export function createModuleDatabase(options: {
  module: string
  url: string
  poolMax: number
  queryDuration: Histogram<'module' | 'kind'>
  /** Where the pool reports its use at scrape time (`Metrics.pools`), under the module's name. */
  pools?: Map<string, () => PoolUse>
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
  const usage = poolUsage(options.poolMax)
  const instruments: Instruments = { observe: (kind, seconds) => series[kind](seconds), ...usage }
  options.pools?.set(options.module, usage.read)
  // One pool, so one set of parsers: drizzle's (it sets them on the client it is given), which the
  // raw wrapper undoes on each result; the serializers accept what either side sends.
  const pool = wrap(sql, instruments, false)
  const db = drizzle(pool)
  tolerateBoth(sql.options)
  const raw = wrap(sql, instruments, true)
  return {
    sql: raw,
    db,
    transaction: (work) => transactionOn(pool, work),
    close: () => {
      if (options.pools?.get(options.module) === usage.read) options.pools.delete(options.module)
      return sql.end({ timeout: 5 })
    },
  }
}

/**
 * A pool's use, counted from the statements and transactions in flight on it. postgres.js
 * hands a statement an idle connection, else opens a new one while under `max`, and only then
 * queues it (or pipelines it behind a busy connection): so min(in flight, max) connections are
 * in use and the rest of the in-flight work waits. It opens connections lazily and keeps them,
 * so the most ever in use at once is how many it holds (an approximation after a connection
 * drops or reaches postgres.js's `max_lifetime`, until it is needed again).
 */
function poolUsage(max: number): { started: () => void; finished: () => void; read: () => PoolUse } {
  let inFlight = 0
  let opened = 0
  return {
    started: () => {
      inFlight += 1
      opened = Math.max(opened, Math.min(inFlight, max))
    },
    finished: () => {
      inFlight -= 1
    },
    read: () => {
      const inUse = Math.min(inFlight, max)
      return { inUse, idle: opened - inUse, waiting: inFlight - inUse, max }
    },
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
