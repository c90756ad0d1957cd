/**
 * The active-subscriptions gauge's states: a delivery's subscription events are kept in one
 * statement, the newest version of each subscription winning, whatever order and batches the
 * events come in, duplicates included; delivered again, nothing changes.
 */
import { expect, test } from 'bun:test'
import fc from 'fast-check'
import { migratedAnalytics } from './analytics.ts'
import { deliveries, histories, type History } from './world.ts'

const db = migratedAnalytics()

type State = { subscription_id: string; broadcaster_id: string; tier: string; active: boolean; current_period_end: string; version: number }

/** Each subscription as its newest event tells it: active unless that event ended it. */
function expectedStates(history: History): State[] {
  const newest = new Map<string, State>()
  for (const { type, payload } of history.events) {
    if (!type.startsWith('subscriptions.subscription_')) continue
    const p = payload as Omit<State, 'active'>
    const kept = newest.get(p.subscription_id)
    if (kept && kept.version >= p.version) continue
    newest.set(p.subscription_id, {
      subscription_id: p.subscription_id,
      broadcaster_id: p.broadcaster_id,
      tier: p.tier,
      active: type !== 'subscriptions.subscription_ended.v1',
      current_period_end: new Date(p.current_period_end).toISOString(),
      version: p.version,
    })
  }
  return [...newest.values()].sort((a, b) => (a.subscription_id < b.subscription_id ? -1 : 1))
}

const actualStates = async (ids: string[]) =>
  (
    await db.sql<(Omit<State, 'current_period_end'> & { current_period_end: Date })[]>`
      select subscription_id, broadcaster_id::text, tier, active, current_period_end, version from subscription_states
      where subscription_id = any(${ids}::text[]) order by subscription_id`
  ).map((row) => ({ ...row, current_period_end: row.current_period_end.toISOString() }))

test('the newest version of each subscription is kept, whatever the order, batches and duplicates; a second delivery changes nothing', async () => {
  await fc.assert(
    fc.asyncProperty(histories, fc.integer(), fc.integer(), async (history, seed, again) => {
      const expected = expectedStates(history)
      const ids = expected.map((s) => s.subscription_id)
      const outcomes = await db.parts.deliver(deliveries(history, seed))
      expect(outcomes.filter((o) => o.status !== 'handled' && o.status !== 'duplicate')).toEqual([])
      expect(await actualStates(ids)).toEqual(expected)
      await db.parts.deliver(deliveries(history, again, 2))
      expect(await actualStates(ids)).toEqual(expected)
    }),
    { numRuns: 20 },
  )
}, 120_000)
