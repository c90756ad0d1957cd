/**
 * The replay property (issue 13, "Proof"): a randomized history of every module's events,
 * delivered shuffled, in batches, three at a time, with duplicates (the same envelope again, and
 * the same fact under a new event id), makes exactly the buckets, session summaries and rollups
 * computed directly from the history; delivered again, in another order, it changes nothing.
 */
import { expect, test } from 'bun:test'
import fc from 'fast-check'
import { actualOf, comparable, migratedAnalytics } from './analytics.ts'
import { deliveries, expectedOf, histories } from './world.ts'

const db = migratedAnalytics()

test('a shuffled, duplicated delivery of any history makes what the history says, and a second delivery changes nothing', async () => {
  await fc.assert(
    fc.asyncProperty(histories, fc.integer(), fc.integer(), async (history, seed, again) => {
      const outcomes = await db.parts.deliver(deliveries(history, seed))
      expect(outcomes.filter((o) => o.status !== 'handled' && o.status !== 'duplicate')).toEqual([])
      // Summaries written (late events window 0) and rollups refreshed, as the jobs do.
      await db.parts.sessions.summarize()
      await db.parts.rollups.refresh()
      const expected = comparable(expectedOf(history))
      const first = await actualOf(db.sql, db.parts, history)
      expect(first).toEqual(expected)
      for (const id of history.streams) expect((await db.parts.sessions.report(id))?.isFinal).toBe(true)

      await db.parts.deliver(deliveries(history, again, 2))
      await db.parts.sessions.summarize()
      await db.parts.rollups.refresh()
      expect(await actualOf(db.sql, db.parts, history)).toEqual(expected)
    }),
    { numRuns: 12 },
  )
}, 180_000)
