import type { Sql } from 'postgres'
import { streams } from '../../src/modules/streams/index.ts'
import { subscriptions } from '../../src/modules/subscriptions/index.ts'
import { users } from '../../src/modules/users/index.ts'
import type { Clock } from '../../src/platform/clock.ts'
import { deliver } from '../../src/platform/testing/events.ts'
import { createTestPlatform, type TestPlatform } from '../../src/platform/testing/harness.ts'

export const DAY_MS = 86_400_000

/** The modules of a subscriptions test (users' and streams' events in process), the renewals job every 20 ms on `clock`. */
export const SUBSCRIBERS_ENV = { AUTH_ATTEMPTS_PER_MINUTE: '1000', SUBSCRIPTIONS_RENEWALS_EVERY_MS: '20', DB_POOL_MAX: '10' }
export const SUBSCRIBERS_MODULES = [users, streams, subscriptions]

/**
 * The app for subscription tests, on fresh databases, its time `clock`.
 * @example
 * const clock = movableClock(new Date('2026-01-01T00:00:00Z'))
 * const t = await subscribersPlatform(clock)
 */
export function subscribersPlatform(clock: Clock): Promise<TestPlatform> {
  return createTestPlatform(SUBSCRIBERS_MODULES, SUBSCRIBERS_ENV, { clock })
}

/** A user as users' registration tells subscriptions (its users projection), login `user<id>`. */
export async function register(t: TestPlatform, id: string): Promise<void> {
  await deliver(t, subscriptions, 'users.registered.v1', {
    user_id: id,
    login: `user${id}`,
    display_name: `User${id}`,
    created_at: new Date().toISOString(),
    version: 1,
  })
}

/** `follower` follows (or, `following` false, unfollows) `followed`, as users' events tell subscriptions. */
export async function follow(t: TestPlatform, follower: string, followed: string, version = 1, following = true): Promise<void> {
  const payload = { follower_id: follower, followed_id: followed, version }
  if (following) await deliver(t, subscriptions, 'users.followed.v1', { ...payload, followed_at: new Date().toISOString() })
  else await deliver(t, subscriptions, 'users.unfollowed.v1', payload)
}

/** POST /api/subscriptions under a fresh Idempotency-Key (or `key`). */
export const subscribe = (t: TestPlatform, token: string, json: unknown, key: string = crypto.randomUUID()) =>
  t.request('/api/subscriptions', { method: 'POST', token, json, headers: { 'idempotency-key': key } })

/** POST /api/subscriptions/gifts under a fresh Idempotency-Key (or `key`). */
export const gift = (t: TestPlatform, token: string, json: unknown, key: string = crypto.randomUUID()) =>
  t.request('/api/subscriptions/gifts', { method: 'POST', token, json, headers: { 'idempotency-key': key } })

export type Row = {
  id: string
  tier: string
  next_tier: string | null
  status: string
  renews: boolean
  is_gift: boolean
  cumulative_months: number
  streak_months: number
  current_period_end: Date
  end_reason: string | null
  version: number
}

/** The (channel, user) subscription row as the database holds it. */
export async function subscriptionRow(sql: Sql, broadcasterId: string, userId: string): Promise<Row | undefined> {
  const [row] = await sql<Row[]>`
    select id, tier, next_tier, status, renews, is_gift, cumulative_months, streak_months, current_period_end, end_reason, version
    from subscriptions where broadcaster_id = ${broadcasterId} and user_id = ${userId}`
  return row
}

/** The payloads of one event type in the module's outbox, oldest first. */
export async function outboxOf<P>(sql: Sql, type: string): Promise<P[]> {
  const rows = await sql<{ payload: P }[]>`select payload from outbox where type = ${type} order by id`
  return rows.map((row) => row.payload)
}
