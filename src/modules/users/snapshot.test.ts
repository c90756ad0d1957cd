import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { movableClock } from '../../platform/testing/clock.ts'
import { createTestPlatform, type TestPlatform } from '../../platform/testing/harness.ts'
import { accessTokenFor } from '../../platform/testing/tokens.ts'
import { users } from './index.ts'
import { usersSnapshot } from './snapshot.ts'
import { registerAccount } from './test-accounts.ts'

const HOUR_MS = 3_600_000
// The module clock starts three hours behind the database's, so a suspension can be in force on
// the one and over on the other, either way round once the clock has moved past the database's.
const clock = movableClock(new Date(Date.now() - 3 * HOUR_MS))
let t: TestPlatform
let adminToken: string
beforeAll(async () => {
  // The job that lifts ended suspensions runs at start, then not again during the test: what the
  // snapshot says is its own judgement, not the job's.
  t = await createTestPlatform([users], { AUTH_ATTEMPTS_PER_MINUTE: '1000', SUSPENSION_ENDS_EVERY_MS: String(HOUR_MS) }, { clock })
  const admin = await registerAccount(t, 'snap_admin')
  await t.sql.users!`insert into user_roles (user_id, role) values (${admin.id}, 'admin')`
  adminToken = await accessTokenFor(t, admin.id, ['admin'], { login: admin.login })
}, 30_000)
afterAll(() => t.close())

/** The users a late consumer is told are suspended, with until when. */
const suspendedInSnapshot = async () => {
  const told: Record<string, string | null> = {}
  for await (const batch of usersSnapshot({ sql: t.sql.users!, types: new Set(['users.suspended.v1']), clock })) {
    for (const { type, payload } of batch) {
      const suspension = payload as { user_id: string; ends_at: string | null }
      if (type === 'users.suspended.v1') told[suspension.user_id] = suspension.ends_at
    }
  }
  return told
}

describe('the users snapshot', () => {
  test('tells a timed suspension in force by the module clock, not the database’s', async () => {
    const suspendUntil = async (login: string, endsAt: Date) => {
      const account = await registerAccount(t, login)
      const json = { reason: 'Cooling off', ends_at: endsAt.toISOString() }
      const res = await t.request(`/api/users/${account.id}/suspension`, { method: 'PUT', token: adminToken, json })
      expect(res.status).toBe(200)
      return { id: account.id, endsAt: endsAt.toISOString() }
    }
    // Ends an hour ahead on the module clock, two hours ago on the database's.
    const overByTheDatabase = await suspendUntil('snap_early_end', new Date(clock().getTime() + HOUR_MS))
    // Ends five hours ahead on the module clock, two hours ahead on the database's.
    const aheadOfBoth = await suspendUntil('snap_late_end', new Date(clock().getTime() + 5 * HOUR_MS))
    expect(await suspendedInSnapshot()).toEqual({
      [overByTheDatabase.id]: overByTheDatabase.endsAt,
      [aheadOfBoth.id]: aheadOfBoth.endsAt,
    })

    // Past both ends on the module clock, before the job has lifted either: the rows still hold
    // them, the snapshot tells neither, though the database's clock has not reached the second.
    clock.advance(5 * HOUR_MS + 1000)
    const [held] = await t.sql.users!`
      select count(*)::int as n from users where id in (${overByTheDatabase.id}, ${aheadOfBoth.id}) and suspended_at is not null`
    expect(held!.n).toBe(2)
    expect(await suspendedInSnapshot()).toEqual({})
  }, 30_000)
})
