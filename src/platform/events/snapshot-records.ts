import type { Sql } from 'postgres'
import { SNAPSHOT_COMPLETED, type SnapshotCompleted } from './snapshot.ts'
import type { Consumer, Outcome } from './types.ts'

/**
 * Records in the consumer's database (`event_snapshots`) when a producer's snapshot has come:
 * the producer's completion mark, last of its snapshot, is handled here rather than by the
 * module, after the rest of its delivery. Everything else goes to `consumer` unchanged.
 */
export function recordingSnapshots(consumer: Consumer, sql: Sql): Consumer {
  return {
    ...consumer,
    async deliver(events) {
      const marks = events.flatMap((event, index) => (event.type === SNAPSHOT_COMPLETED ? [index] : []))
      if (marks.length === 0) return consumer.deliver(events)
      const rest = events.filter((event) => event.type !== SNAPSHOT_COMPLETED)
      const restOutcomes = rest.length > 0 ? await consumer.deliver(rest) : []
      const outcomes: Outcome[] = []
      let next = 0
      for (const [index, event] of events.entries()) {
        if (!marks.includes(index)) {
          outcomes.push(restOutcomes[next++]!)
          continue
        }
        const { producer } = event.payload as SnapshotCompleted
        await sql`
          insert into event_snapshots (consumer, producer, completed_at) values (${consumer.module}, ${producer}, now())
          on conflict (consumer, producer) do update set completed_at = now()`
        outcomes.push({ status: 'handled' })
      }
      return outcomes
    },
  }
}

/**
 * Claims the first snapshot of `producer` for `consumer`: runs `request` (write it, or ask
 * for it) in the transaction that records it requested, and only if there was no record yet.
 * Replicas starting together wait on one another's uncommitted row, so one of them requests;
 * a failed `request` leaves no record, so the next start asks again. True if it requested.
 */
export async function requestFirstSnapshot(
  sql: Sql,
  consumer: string,
  producer: string,
  request: () => Promise<void>,
): Promise<boolean> {
  return sql.begin(async (tx) => {
    const [claimed] = await tx`
      insert into event_snapshots (consumer, producer) values (${consumer}, ${producer})
      on conflict do nothing returning 1`
    if (!claimed) return false
    await request()
    return true
  })
}
