/**
 * The replay property (issue 13, "Proof"): a randomized history of every module's events,
 * delivered shuffled, in batches, three at a time, with duplicates (the same envelope again, and
 * the same fact under a new event id), makes exactly the buckets, session summaries and rollups
 * computed directly from the history; delivered again, in another order, it changes nothing.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import fc from 'fast-check'
import postgres, { type Sql } from 'postgres'
import { analytics } from '../../src/modules/analytics/index.ts'
import { createDatabaseFromTemplate } from '../../src/platform/testing/databases.ts'
import { actualOf, analyticsParts, comparable } from './analytics.ts'
import { deliveries, expectedOf, histories } from './world.ts'

// The inbox is fed directly, so a migrated database is all it takes (no app, no Redis).
let database: Awaited<ReturnType<typeof createDatabaseFromTemplate>>
let sql: Sql
let parts: ReturnType<typeof analyticsParts>

beforeAll(async () => {
  database = await createDatabaseFromTemplate('analytics', analytics.migrations)
  sql = postgres(database.url, { onnotice: () => {} })
  parts = analyticsParts(database.url)
})
afterAll(async () => {
  await parts.close()
  await sql.end()
  await database.drop()
})

test('a shuffled, duplicated delivery of any history makes what the history says, and a second delivery changes nothing', async () => {
  await fc.assert(
    fc.asyncProperty(histories, fc.integer(), fc.integer(), async (history, seed, again) => {
      const outcomes = await parts.deliver(deliveries(history, seed))
      expect(outcomes.filter((o) => o.status !== 'handled' && o.status !== 'duplicate')).toEqual([])
      // Summaries written (late events window 0) and rollups refreshed, as the jobs do.
      await parts.sessions.summarize()
      await parts.rollups.refresh()
      const expected = comparable(expectedOf(history))
      const first = await actualOf(sql, parts, history)
      expect(first).toEqual(expected)
      for (const id of history.streams) expect((await parts.sessions.report(id))?.isFinal).toBe(true)

      await parts.deliver(deliveries(history, again, 2))
      await parts.sessions.summarize()
      await parts.rollups.refresh()
      expect(await actualOf(sql, parts, history)).toEqual(expected)
    }),
    { numRuns: 12 },
  )
}, 180_000)
