import type { Fragment, Sql, TransactionSql } from 'postgres'
import type { z } from 'zod'
import type { EventContracts, Transaction } from './types.ts'

/** The channel relays LISTEN on; NOTIFY is delivered at commit, so a relay never sees uncommitted rows. */
export const OUTBOX_CHANNEL = 'ondes_outbox'

/** This process's relays, by the client of the database whose outbox each publishes. */
const relaysHere = new WeakMap<Sql, Set<() => void>>()

/**
 * Registers `wake` as a relay of `sql`'s outbox in this process, for `StatementPublish.committed`;
 * returns its removal.
 * @example
 * const leave = relayHere(database.sql, job.wake)
 */
export function relayHere(sql: Sql, wake: () => void): () => void {
  let wakes = relaysHere.get(sql)
  if (!wakes) relaysHere.set(sql, (wakes = new Set()))
  wakes.add(wake)
  return () => wakes.delete(wake)
}

function contractOf(contracts: EventContracts, type: string): z.ZodType {
  const schema = contracts[type]
  if (!schema) throw new Error(`${type} is not one of this module's events`)
  return schema
}

export type Publish<C extends EventContracts> = <T extends keyof C & string>(
  tx: Transaction,
  type: T,
  payload: z.input<C[T]>,
) => Promise<string>

/**
 * Binds a module's contracts into its `publish(tx, type, payload)`: the payload is checked
 * against the contract, then written to the outbox in `tx`, the transaction of the change it
 * announces, so the event exists if and only if the change does. Returns the event id.
 * @example
 * const publish = publisher(usersEvents)
 * await database.transaction(async (tx) => {
 *   await tx.insert(followers).values({ followerId, followedId })
 *   await publish(tx, 'users.followed.v1', { follower_id, followed_id, followed_at, version })
 * })
 */
export function publisher<C extends EventContracts>(contracts: C): Publish<C> {
  return async (tx, type, payload) => {
    const id = crypto.randomUUID()
    const body = JSON.stringify(contractOf(contracts, type).parse(payload))
    // One round trip, one statement postgres.js prepares once per connection: the row, and the
    // wake-up call the relay gets once this commits. The payload goes as text (`::text::jsonb`),
    // so no client's json serializer can encode it a second time.
    await tx.sql`
      with written as (
        insert into outbox (event_id, type, payload) values (${id}, ${type}, ${body}::text::jsonb) returning 1
      )
      select pg_notify(${OUTBOX_CHANNEL}, '') from written`
    return id
  }
}

/** `publish` for a change made in a single statement, with no transaction around it (see `statementPublisher`). */
export type StatementPublish<C extends EventContracts> = {
  /**
   * The body of a data-modifying CTE writing one `type` event per row of `payloads` (a query of
   * the same statement with a json `payload` column): the events exist if and only if the
   * statement's change does. No NOTIFY: the caller calls `committed` once it has committed.
   */
  outbox: <T extends keyof C & string>(sql: Sql | TransactionSql, type: T, payloads: Fragment) => Fragment
  /** A payload as the statement returned it, checked against the contract (a mismatch is a bug: it throws). */
  check: <T extends keyof C & string>(type: T, payload: z.input<C[T]>) => z.output<C[T]>
  /**
   * Once the statement (or the transaction around it) has committed: wakes this process's relay
   * of `sql`'s outbox, or NOTIFYs the relays elsewhere when none runs here. PostgreSQL (15)
   * serializes the commits of every transaction that NOTIFYs, across the server, through their
   * WAL flush: pgbench at 10 connections, 3 000–4 400 inserts/s with a NOTIFY each against
   * 9 800–13 700 without. A crash before the wake loses nothing: relays also poll.
   */
  committed: (sql: Sql) => void
}

/**
 * Binds a module's contracts for hot paths that make their change in one statement (BEGIN and
 * COMMIT would be two more round trips). The payload is built in SQL, so it cannot be checked
 * before it is written as `publish` does: the caller `check`s what the statement returns, and
 * a test of the caller compares that with the outbox row.
 * @example
 * const [row] = await sql`with changed as (update … returning …),
 *   announced as (${events.outbox(sql, 'streams.live.v1', sql`select json_build_object('id', id) as payload from changed`)})
 *   select * from changed`
 * events.check('streams.live.v1', row)
 */
export function statementPublisher<C extends EventContracts>(contracts: C): StatementPublish<C> {
  return {
    outbox: (sql, type, payloads) => {
      contractOf(contracts, type)
      return sql`
        insert into outbox (event_id, type, payload) select gen_random_uuid(), ${type}, payload from (${payloads}) as events`
    },
    check: (type, payload) => contractOf(contracts, type).parse(payload) as z.output<C[typeof type]>,
    committed: (sql) => {
      const wakes = relaysHere.get(sql)
      if (wakes?.size) for (const wake of wakes) wake()
      else void sql`select pg_notify(${OUTBOX_CHANNEL}, '')`.catch(() => {})
    },
  }
}
