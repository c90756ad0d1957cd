/**
 * What the event tests (split and monolith) set up and compare: the users database (the
 * source of truth and its outbox), the consumer's database (projection, inbox, applied counts)
 * and the consumer group's pending lists in Redis. Every list comes back sorted, so two of
 * them compare with toEqual.
 */
import type Redis from 'ioredis'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres, { type Sql } from 'postgres'
import { users } from '../../src/modules/users/index.ts'
import { createDatabaseFromTemplate } from '../../src/platform/testing/databases.ts'
import { PROJECTED_EVENT_TYPES, PROJECTION_MODULE, followerProjection } from './follower-projection/index.ts'

/** What a test set up, undone last first, each step whatever the others do. */
export function cleanupStack(what: string) {
  const steps: (() => unknown)[] = []
  return {
    push: (...added: (() => unknown)[]) => void steps.unshift(...added.reverse()),
    async run(): Promise<void> {
      for (const step of steps.splice(0)) {
        try {
          await step()
        } catch (error) {
          console.error(`${what} cleanup:`, error)
        }
      }
    },
  }
}

export type Cleanups = ReturnType<typeof cleanupStack>

/** A DATA_DIR of the test's own for the processes it starts (keys), removed at cleanup. */
export function scratchDataDir(cleanups: Cleanups, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Fresh users and projection databases, and the ledgers that read them; `cleanups` drops them. */
export async function ledgerDatabases(cleanups: Cleanups) {
  const [usersDb, projectionDb] = await Promise.all([
    createDatabaseFromTemplate('users', users.migrations),
    createDatabaseFromTemplate(PROJECTION_MODULE, followerProjection().migrations),
  ])
  cleanups.push(usersDb.drop, projectionDb.drop)
  const usersSql = postgres(usersDb.url, { max: 2, onnotice: () => {} })
  const projectionSql = postgres(projectionDb.url, { max: 2, onnotice: () => {} })
  cleanups.push(() => usersSql.end(), () => projectionSql.end())
  return {
    usersUrl: usersDb.url,
    projectionUrl: projectionDb.url,
    /** Raw connections for a test's own statements (seeding, outbox reads). */
    usersSql,
    projectionSql,
    source: sourceLedger(usersSql),
    projection: projectionLedger(projectionSql),
  }
}

const texts = async (rows: Promise<{ v: string }[]>) => (await rows).map((row) => row.v).sort()

/** The users database: who follows whom, who exists, and the events it announced. */
export function sourceLedger(sql: Sql) {
  return {
    /** `follower>followed@followed_at` (milliseconds: the event carries a JS timestamp). */
    follows: () =>
      texts(sql<{ v: string }[]>`
        select follower_id || '>' || followed_id || '@' ||
               to_char(followed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as v
        from followers`),
    users: () => texts(sql<{ v: string }[]>`select id || ':' || login as v from users`),
    /** Ids of the outbox events the projection consumes. */
    eventIds: () =>
      texts(sql<{ v: string }[]>`select event_id::text as v from outbox where type in ${sql([...PROJECTED_EVENT_TYPES])}`),
    unpublished: async () => {
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from outbox where published_at is null`
      return row?.n ?? 0
    },
  }
}

/** The consumer's database: its projection, its inbox, and how often each event took effect. */
export function projectionLedger(sql: Sql) {
  return {
    follows: () =>
      texts(sql<{ v: string }[]>`
        select follower_id || '>' || followed_id || '@' ||
               to_char(followed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as v
        from follow_projection where following`),
    users: () => texts(sql<{ v: string }[]>`select user_id || ':' || login as v from known_users`),
    inboxEventIds: () =>
      texts(sql<{ v: string }[]>`select event_id::text as v from inbox where consumer = ${PROJECTION_MODULE}`),
    appliedEventIds: () => texts(sql<{ v: string }[]>`select event_id::text as v from applied_events`),
    /** Events whose handlers ran more than once, with the count: empty when each took effect once. */
    appliedMoreThanOnce: () =>
      texts(sql<{ v: string }[]>`select event_id || ' x' || applications as v from applied_events where applications <> 1`),
  }
}

/** XPENDING's summary form: count, first and last id, and [consumer, count] pairs. */
type PendingSummary = [count: number, first: string | null, last: string | null, consumers: [string, string][] | null]

/** The consumer group's side in Redis: entries delivered and not yet acknowledged, and dead letters. */
export function consumerGroupLedger(redis: Redis, prefix: string) {
  const streams = PROJECTED_EVENT_TYPES.map((type) => `${prefix}:${type}`)
  const summaries = async () => {
    const pipeline = redis.pipeline()
    for (const stream of streams) pipeline.xpending(stream, PROJECTION_MODULE)
    const results = (await pipeline.exec()) ?? []
    return results.map(([error, summary]) => {
      if (error) throw error
      return summary as PendingSummary
    })
  }
  /** XINFO GROUPS per stream, for this group: entries pending, and entries not yet delivered (lag). */
  const groupInfo = async () => {
    const pipeline = redis.pipeline()
    for (const stream of streams) pipeline.xinfo('GROUPS', stream)
    const results = (await pipeline.exec()) ?? []
    return results.map(([error, groups]) => {
      if (error) throw error
      const fields = (groups as unknown[][])
        .map((flat) => new Map(flat.flatMap((value, i) => (i % 2 === 0 ? [[value, flat[i + 1]]] : []))))
        .find((info) => info.get('name') === PROJECTION_MODULE)
      return { pending: Number(fields?.get('pending') ?? NaN), lag: fields?.get('lag') as number | null | undefined }
    })
  }
  return {
    /** Every entry of every stream delivered to the group and acknowledged. */
    caughtUp: async () => (await groupInfo()).every(({ pending, lag }) => pending === 0 && lag === 0),
    /** XPENDING across the projection's streams. */
    pending: async () => (await summaries()).reduce((sum, [count]) => sum + Number(count), 0),
    /** Entries pending on the consumer of process `pid` (the transport names consumers host:pid:random). */
    pendingOnProcess: async (pid: number) =>
      (await summaries())
        .flatMap(([, , , consumers]) => consumers ?? [])
        .filter(([name]) => name.includes(`:${pid}:`))
        .reduce((sum, [, count]) => sum + Number(count), 0),
    deadLetters: () => redis.xlen(`${prefix}:dead-letter:${PROJECTION_MODULE}`),
    /**
     * Adds every entry the streams hold to them once more, as a relay does that died between
     * XADD and marking its outbox rows published; returns how many it added.
     */
    replayAll: async () => {
      let replayed = 0
      for (const stream of streams) {
        const entries = await redis.xrange(stream, '-', '+')
        const pipeline = redis.pipeline()
        for (const [, fields] of entries) pipeline.xadd(stream, '*', ...fields)
        for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error
        replayed += entries.length
      }
      return replayed
    },
  }
}

/** Polls `check` until it holds; the error names `what` and shows `explain()` as it last was. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  explain: () => Promise<unknown> = async () => '',
): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!(await check())) {
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${JSON.stringify(await explain())}`)
    }
    await Bun.sleep(100)
  }
}
