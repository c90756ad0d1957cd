import type { Sql } from 'postgres'
import { streams } from '../../src/modules/streams/index.ts'
import { subscriptions } from '../../src/modules/subscriptions/index.ts'
import { users } from '../../src/modules/users/index.ts'
import { createTestPlatform, type TestPlatform } from '../../src/platform/testing/harness.ts'

/**
 * Gives a viewer points in a channel as an earning would (a ledger entry and the balance), for
 * tests that need a balance before the earning paths run.
 * @example
 * await grantPoints(t.sql.subscriptions!, '1', '2', 500)
 */
export async function grantPoints(sql: Sql, broadcasterId: string, userId: string, points: number, reference = 'test'): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`insert into channel_points_ledger (broadcaster_id, user_id, delta, reason, reference)
      values (${broadcasterId}, ${userId}, ${points}, 'test', ${reference})`
    await tx`insert into channel_points (broadcaster_id, user_id, balance) values (${broadcasterId}, ${userId}, ${points})
      on conflict (broadcaster_id, user_id) do update set balance = channel_points.balance + excluded.balance`
  })
}

/** Every (channel, user) whose balance is not the sum of its ledger; empty when the books agree. */
export async function unbalanced(sql: Sql): Promise<object[]> {
  return [...(await sql`
    select coalesce(b.broadcaster_id, l.broadcaster_id) as broadcaster_id, coalesce(b.user_id, l.user_id) as user_id,
      b.balance, l.total
    from channel_points b
    full join (select broadcaster_id, user_id, sum(delta) as total from channel_points_ledger group by 1, 2) l
      using (broadcaster_id, user_id)
    where b.balance is distinct from l.total`)]
}

/**
 * The app with subscriptions and the modules whose events it consumes (so it runs in one
 * process without Redis), on fresh databases.
 * @example
 * const t = await subscriptionsPlatform({ DB_POOL_MAX: '20' })
 */
export function subscriptionsPlatform(env: Record<string, string> = {}): Promise<TestPlatform> {
  return createTestPlatform([users, streams, subscriptions], { AUTH_ATTEMPTS_PER_MINUTE: '1000', ...env })
}
