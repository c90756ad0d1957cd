/** The Idempotency-Key of a spending request: a retry gets the first answer and spends nothing more. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { problemType } from '../../src/platform/http/problem.ts'
import type { TestPlatform } from '../../src/platform/testing/harness.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { grantPoints, subscriptionsPlatform, unbalanced } from './channel-points.ts'

let t: TestPlatform
let viewer = ''
let reward = ''

const redeem = (key: string | undefined, json: Record<string, unknown> = { user_input: 'hello' }) =>
  t.request(`/api/channel-points/custom-rewards/redemptions?broadcaster_id=600&reward_id=${reward}`, {
    method: 'POST',
    token: viewer,
    json,
    headers: key === undefined ? {} : { 'idempotency-key': key },
  })
const idOf = async (res: Response) => ((await res.json()) as { data: { id: string }[] }).data[0]!.id
const count = async (table: 'redemptions' | 'outbox') => {
  const [row] = await t.sql.subscriptions!<{ n: number }[]>`select count(*)::int as n from ${t.sql.subscriptions!(table)}`
  return row!.n
}
const balance = async () => {
  const [row] = await t.sql.subscriptions!<{ balance: string }[]>`select balance from channel_points where broadcaster_id = 600 and user_id = 601`
  return Number(row?.balance ?? 0)
}

beforeAll(async () => {
  t = await subscriptionsPlatform({ DB_POOL_MAX: '20' })
  const owner = await accessTokenFor(t, '600')
  viewer = await accessTokenFor(t, '601')
  const created = await t.request('/api/channel-points/custom-rewards?broadcaster_id=600', { method: 'POST', token: owner, json: { title: 'Once', cost: 100 } })
  reward = await idOf(created)
})
afterAll(() => t.close())

describe('Idempotency-Key', () => {
  test('the same key and body get the stored answer, marked replayed; another body is a 422 that writes nothing', async () => {
    await grantPoints(t.sql.subscriptions!, '600', '601', 1000, 'first')
    const first = await redeem('key-1')
    expect(first.status).toBe(201)
    expect(first.headers.get('idempotent-replayed')).toBeNull()
    const again = await redeem('key-1')
    expect(again.status).toBe(201)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(await idOf(again)).toBe(await idOf(first))
    expect(await balance()).toBe(900)
    const [redemptions, events] = [await count('redemptions'), await count('outbox')]
    const other = await redeem('key-1', { user_input: 'something else' })
    expect(other.status).toBe(422)
    expect(((await other.json()) as { type: string }).type).toBe(problemType('idempotency.mismatch'))
    expect([await count('redemptions'), await count('outbox'), await balance()]).toEqual([redemptions, events, 900])
  })

  test('50 requests at once with one key: one redemption, one spend, one event, one answer', async () => {
    const [redemptions, events, before] = [await count('redemptions'), await count('outbox'), await balance()]
    const responses = await Promise.all(Array.from({ length: 50 }, () => redeem('key-burst')))
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(201))
    expect(new Set(await Promise.all(responses.map(idOf))).size).toBe(1)
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true').length).toBe(49)
    expect([await count('redemptions'), await count('outbox'), await balance()]).toEqual([redemptions + 1, events + 1, before - 100])
    expect(await unbalanced(t.sql.subscriptions!)).toEqual([])
  }, 30_000)

  test('a refused first try stores nothing: its retry runs again once the points are there', async () => {
    const spare = (await balance()) % 100
    const drain = Math.floor((await balance()) / 100)
    for (let i = 0; i < drain; i++) expect((await redeem(undefined)).status).toBe(201)
    expect(await balance()).toBe(spare)
    expect((await redeem('key-short')).status).toBe(409)
    await grantPoints(t.sql.subscriptions!, '600', '601', 100, 'top-up')
    const retried = await redeem('key-short')
    expect(retried.status).toBe(201)
    expect(retried.headers.get('idempotent-replayed')).toBeNull()
  })

  test('a key that is not 1 to 255 printable ASCII characters is a 400', async () => {
    for (const key of ['', 'a'.repeat(256), 'with space']) expect((await redeem(key)).status).toBe(400)
  })
})
