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

describe('subscriptions money contracts', () => {
  const started = {
    subscription_id: 's1',
    broadcaster_id: '1',
    user_id: '2',
    tier: '1000' as const,
    is_gift: false,
    gifter_id: null,
    cumulative_months: 1,
    streak_months: 1,
    current_period_end: '2027-01-01T00:00:00.000Z',
    version: 1,
    message: '',
    amount: 499,
    currency: 'USD',
    occurred_at: '2026-12-02T00:00:00.000Z',
  }

  test('an amount is whole minor units in an upper-case ISO currency', () => {
    const schema = subscriptionsEvents['subscriptions.subscription_started.v1']
    expect(schema.parse(started)).toEqual(started)
    expect(schema.safeParse({ ...started, amount: 4.99 }).success).toBe(false)
    expect(schema.safeParse({ ...started, currency: 'usd' }).success).toBe(false)
    expect(schema.safeParse({ ...started, tier: '4000' }).success).toBe(false)
  })

  test('a gift names 1 to 100 recipients', () => {
    const gift = {
      gift_id: 'g1',
      broadcaster_id: '1',
      gifter_id: null,
      is_anonymous: true,
      is_community: true,
      tier: '1000' as const,
      count: 1,
      recipient_ids: ['3'],
      gifter_total_gifts: 0,
      amount: 499,
      currency: 'USD',
      occurred_at: '2026-12-02T00:00:00.000Z',
    }
    const schema = subscriptionsEvents['subscriptions.gift_sent.v1']
    expect(schema.safeParse(gift).success).toBe(true)
    expect(schema.safeParse({ ...gift, recipient_ids: [] }).success).toBe(false)
    expect(schema.safeParse({ ...gift, count: 101 }).success).toBe(false)
  })
})
