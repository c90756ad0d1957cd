import { describe, expect, test } from 'bun:test'
import { subscriptionsEvents } from './subscriptions.ts'

const redemption = {
  id: '92af127c-7326-4483-a52b-b0da0be61c01',
  broadcaster_id: '1',
  user_id: '2',
  user_input: 'hello',
  status: 'UNFULFILLED' as const,
  redeemed_at: '2026-12-01T20:00:00.000Z',
  reward: { id: '5e1f7d4a-8a3b-4c2d-9e6f-0a1b2c3d4e5f', title: 'Hydrate', prompt: '', cost: 100 },
}

describe('subscriptions contracts', () => {
  test('a consumer tolerates fields it does not know (they are dropped)', () => {
    expect(subscriptionsEvents['subscriptions.redemption_added.v1'].parse({ ...redemption, channel_login: 'x' })).toEqual(redemption)
  })

  test('a status is one of the three, a cost a positive whole number of points', () => {
    const added = subscriptionsEvents['subscriptions.redemption_added.v1']
    expect(added.safeParse({ ...redemption, status: 'PENDING' }).success).toBe(false)
    expect(added.safeParse({ ...redemption, reward: { ...redemption.reward, cost: 0 } }).success).toBe(false)
    expect(added.safeParse({ ...redemption, reward: { ...redemption.reward, cost: 1.5 } }).success).toBe(false)
  })

  test('a reward change carries a version', () => {
    const changed = subscriptionsEvents['subscriptions.reward_changed.v1']
    const reward = {
      reward_id: redemption.reward.id,
      broadcaster_id: '1',
      title: 'Hydrate',
      prompt: '',
      cost: 100,
      background_color: '#9147FF',
      is_enabled: true,
      is_paused: false,
      is_user_input_required: false,
      deleted: false,
    }
    expect(changed.safeParse(reward).success).toBe(false)
    expect(changed.safeParse({ ...reward, version: 1 }).success).toBe(true)
  })
})
