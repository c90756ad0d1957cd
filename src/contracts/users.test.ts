import { describe, expect, test } from 'bun:test'
import { usersEvents } from './users.ts'

describe('users contracts', () => {
  test('a consumer tolerates fields it does not know (they are dropped)', () => {
    const parsed = usersEvents['users.followed.v1'].parse({
      follower_id: '1',
      followed_id: '2',
      followed_at: '2026-01-02T03:04:05.678Z',
      version: 3,
      notification_sent: true,
    })
    expect(parsed).toEqual({ follower_id: '1', followed_id: '2', followed_at: '2026-01-02T03:04:05.678Z', version: 3 })
  })

  test('ids are strings, times ISO 8601', () => {
    const registered = usersEvents['users.registered.v1']
    const valid = { user_id: '42', login: 'ninja', display_name: 'Ninja', created_at: '2026-01-02T03:04:05+01:00', version: 1 }
    expect(registered.safeParse(valid).success).toBe(true)
    expect(registered.safeParse({ ...valid, user_id: 42 }).success).toBe(false)
    expect(registered.safeParse({ ...valid, created_at: '2026-01-02 03:04:05' }).success).toBe(false)
  })

  test('a role granted from the command line has no granting user', () => {
    expect(usersEvents['users.role_granted.v1'].parse({ user_id: '7', role: 'admin', by_user_id: null, version: 2 })).toEqual({
      user_id: '7',
      role: 'admin',
      by_user_id: null,
      version: 2,
    })
  })

  test('a suspension until reinstated has no end; a timed one ends at an ISO 8601 time', () => {
    const suspended = usersEvents['users.suspended.v1']
    const valid = { user_id: '7', reason: 'Spam', ends_at: null, by_user_id: '1', version: 2 }
    expect(suspended.safeParse(valid).success).toBe(true)
    expect(suspended.safeParse({ ...valid, ends_at: '2026-01-02T03:04:05.678Z' }).success).toBe(true)
    expect(suspended.safeParse({ ...valid, ends_at: 'tomorrow' }).success).toBe(false)
    expect(suspended.safeParse({ ...valid, reason: '' }).success).toBe(false)
  })

  test('a reinstatement says whether the suspension expired; one published before the field says it did not', () => {
    const reinstated = usersEvents['users.reinstated.v1']
    expect(reinstated.parse({ user_id: '7', by_user_id: '1', version: 3 })).toEqual({ user_id: '7', by_user_id: '1', version: 3, expired: false })
    expect(reinstated.parse({ user_id: '7', by_user_id: null, version: 3, expired: true })).toEqual({ user_id: '7', by_user_id: null, version: 3, expired: true })
    expect(reinstated.safeParse({ user_id: '7', by_user_id: null, version: 3, expired: 'yes' }).success).toBe(false)
  })

  test('every event about mutable state carries a positive version', () => {
    for (const type of [
      'users.registered.v1',
      'users.profile_updated.v1',
      'users.role_granted.v1',
      'users.role_revoked.v1',
      'users.suspended.v1',
      'users.reinstated.v1',
    ] as const) {
      const shape = usersEvents[type].shape as Record<string, unknown>
      expect(Object.keys(shape)).toContain('version')
    }
    expect(usersEvents['users.role_revoked.v1'].safeParse({ user_id: '7', role: 'admin', by_user_id: null, version: 0 }).success).toBe(false)
  })
})
