/**
 * Gift subs on the dev provider: to a named user, anonymous, continued or not by the recipient,
 * and community gifts that pick only eligible followers — never twice, never a subscriber, also
 * when two gifts run at once, refunding the subs they could not give — plus the Helix views of
 * a channel's subscribers.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { waitFor } from '../../src/platform/events/test-probe.ts'
import { problemType } from '../../src/platform/http/problem.ts'
import { movableClock } from '../../src/platform/testing/clock.ts'
import type { TestPlatform } from '../../src/platform/testing/harness.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { DAY_MS, follow, gift, outboxOf, register, subscribe, subscribersPlatform, subscriptionRow } from './subscribers.ts'

const clock = movableClock(new Date('2026-03-01T00:00:00Z'))
let t: TestPlatform
const token = (id: string) => accessTokenFor(t, id)

beforeAll(async () => {
  t = await subscribersPlatform(clock)
}, 30_000)
afterAll(() => t.close())

const sql = () => t.sql.subscriptions!
type GiftSent = { gift_id: string; broadcaster_id: string; gifter_id: string | null; is_anonymous: boolean; is_community: boolean; count: number; recipient_ids: string[]; gifter_total_gifts: number; amount: number }
type Started = { broadcaster_id: string; user_id: string; is_gift: boolean; gifter_id: string | null; amount: number }
const giftsTo = async (channel: string) => (await outboxOf<GiftSent>(sql(), 'subscriptions.gift_sent.v1')).filter((g) => g.broadcaster_id === channel)
const activeIn = async (channel: string) =>
  (await sql()<{ user_id: string }[]>`select user_id::text from subscriptions where broadcaster_id = ${channel} and status = 'active' order by user_id`).map(
    (r) => r.user_id,
  )
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => String(from + i))

describe('gift subs to a named user', () => {
  test('the recipient subscribes as a gift that does not renew; the events name gifter and recipient', async () => {
    for (const id of ['1000', '1001', '1002']) await register(t, id)
    const res = await gift(t, await token('1001'), { broadcaster_id: '1000', tier: '2000', user_id: '1002' })
    expect(res.status).toBe(201)
    expect(((await res.json()) as { data: { status: string; amount: number }[] }).data[0]).toMatchObject({ status: 'succeeded', amount: 999 })
    expect(await subscriptionRow(sql(), '1000', '1002')).toMatchObject({ status: 'active', is_gift: true, renews: false, tier: '2000' })
    expect(await giftsTo('1000')).toMatchObject([
      { gifter_id: '1001', is_anonymous: false, is_community: false, count: 1, recipient_ids: ['1002'], gifter_total_gifts: 1, amount: 999 },
    ])
    const started = (await outboxOf<Started>(sql(), 'subscriptions.subscription_started.v1')).filter((e) => e.broadcaster_id === '1000')
    expect(started).toMatchObject([{ user_id: '1002', is_gift: true, gifter_id: '1001', amount: 0 }])

    clock.advance(30 * DAY_MS)
    await waitFor('the gift to end', async () => (await subscriptionRow(sql(), '1000', '1002'))!.status === 'ended')
    expect(await subscriptionRow(sql(), '1000', '1002')).toMatchObject({ end_reason: 'gift_ended', cumulative_months: 1 })
    const { n } = (await sql()<{ n: number }[]>`select count(*)::int as n from payments where purchaser_id = 1002`)[0]!
    expect(n).toBe(0)
  })

  test('a recipient who continues the gift renews at its end, paying themselves, and it is theirs from then', async () => {
    for (const id of ['1010', '1011', '1012']) await register(t, id)
    expect((await gift(t, await token('1011'), { broadcaster_id: '1010', tier: '1000', user_id: '1012' })).status).toBe(201)
    const continued = await subscribe(t, await token('1012'), { broadcaster_id: '1010', tier: '1000' })
    expect(continued.status).toBe(200)
    expect(((await continued.json()) as { data: { renews: boolean; is_gift: boolean }[] }).data[0]).toMatchObject({ renews: true, is_gift: true })
    clock.advance(30 * DAY_MS)
    await waitFor('the renewal', async () => (await subscriptionRow(sql(), '1010', '1012'))!.cumulative_months === 2)
    expect(await subscriptionRow(sql(), '1010', '1012')).toMatchObject({ status: 'active', is_gift: false, renews: true, streak_months: 2 })
    const { n } = (await sql()<{ n: number }[]>`select count(*)::int as n from payments where purchaser_id = 1012 and status = 'succeeded'`)[0]!
    expect(n).toBe(1)
  })

  test('an anonymous gift names no gifter, in the events or in the broadcaster view', async () => {
    for (const id of ['1020', '1021', '1022']) await register(t, id)
    expect((await gift(t, await token('1021'), { broadcaster_id: '1020', tier: '1000', user_id: '1022', is_anonymous: true })).status).toBe(201)
    expect(await giftsTo('1020')).toMatchObject([{ gifter_id: null, is_anonymous: true, gifter_total_gifts: 0 }])
    const started = (await outboxOf<Started>(sql(), 'subscriptions.subscription_started.v1')).filter((e) => e.broadcaster_id === '1020')
    expect(started).toMatchObject([{ user_id: '1022', is_gift: true, gifter_id: null }])
    const list = await t.request('/api/subscriptions?broadcaster_id=1020', { token: await token('1020') })
    expect(((await list.json()) as { data: object[] }).data).toEqual([
      {
        broadcaster_id: '1020',
        broadcaster_login: 'user1020',
        broadcaster_name: 'User1020',
        gifter_id: '',
        gifter_login: '',
        gifter_name: '',
        is_gift: true,
        tier: '1000',
        plan_name: 'Tier 1',
        user_id: '1022',
        user_login: 'user1022',
        user_name: 'User1022',
      },
    ])
  })

  test("a gift retried with its key gets the first answer, though its recipient now subscribes; another body is a 422", async () => {
    for (const id of ['1040', '1041', '1042']) await register(t, id)
    const gifter = await token('1041')
    const body = { broadcaster_id: '1040', tier: '1000', user_id: '1042' }
    const first = await gift(t, gifter, body, 'gift-key')
    const again = await gift(t, gifter, body, 'gift-key')
    expect([first.status, again.status]).toEqual([201, 201])
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(await again.json()).toEqual(await first.json())
    expect((await gift(t, gifter, { ...body, tier: '2000' }, 'gift-key')).status).toBe(422)
    const { n } = (await sql()<{ n: number }[]>`select count(*)::int as n from payments where purchaser_id = 1041`)[0]!
    expect(n).toBe(1)
  })

  test('refused before anyone pays: yourself, the broadcaster, an unknown user, a subscriber, both or neither of user_id and count', async () => {
    for (const id of ['1030', '1031', '1032']) await register(t, id)
    expect((await subscribe(t, await token('1032'), { broadcaster_id: '1030', tier: '1000' })).status).toBe(201)
    const gifter = await token('1031')
    const refused: [unknown, number, string | undefined][] = [
      [{ broadcaster_id: '1030', tier: '1000', user_id: '1031' }, 400, 'gift.self'],
      [{ broadcaster_id: '1030', tier: '1000', user_id: '1030' }, 400, 'subscription.own_channel'],
      [{ broadcaster_id: '1030', tier: '1000', user_id: '1099' }, 404, 'gift.recipient_not_found'],
      [{ broadcaster_id: '1030', tier: '1000', user_id: '1032' }, 409, 'gift.recipient_subscribed'],
      [{ broadcaster_id: '1098', tier: '1000', user_id: '1032' }, 404, 'subscription.channel_not_found'],
      [{ broadcaster_id: '1030', tier: '1000', user_id: '1032', count: 1 }, 400, undefined],
      [{ broadcaster_id: '1030', tier: '1000' }, 400, undefined],
      [{ broadcaster_id: '1030', tier: '1000', count: 1 }, 409, 'gift.not_enough_recipients'],
    ]
    for (const [body, status, code] of refused) {
      const res = await gift(t, gifter, body)
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), status])
      if (code) expect(((await res.json()) as { type: string }).type).toBe(problemType(code))
    }
    const noKey = await t.request('/api/subscriptions/gifts', { method: 'POST', token: gifter, json: { broadcaster_id: '1030', tier: '1000', user_id: '1032' } })
    expect(noKey.status).toBe(400)
    const { n } = (await sql()<{ n: number }[]>`select count(*)::int as n from payments where purchaser_id = 1031`)[0]!
    expect(n).toBe(0)
  })
})

describe('community gifts', () => {
  const CHANNEL = '2000'
  const followers = range(2100, 30)
  const subscribed = followers.slice(0, 4)
  const unfollowed = followers.slice(4, 6)
  const eligible = followers.slice(6)

  beforeAll(async () => {
    for (const id of [CHANNEL, '2001', '2002', '2003', '2200', ...followers]) await register(t, id)
    for (const id of followers) await follow(t, id, CHANNEL)
    for (const id of unfollowed) await follow(t, id, CHANNEL, 2, false)
    // A late, older follow does not undo the unfollow.
    await follow(t, unfollowed[0]!, CHANNEL, 1)
    for (const id of subscribed) expect((await subscribe(t, await token(id), { broadcaster_id: CHANNEL, tier: '1000' })).status).toBe(201)
  }, 60_000)

  test('goes to eligible followers only: not subscribers, not unfollowed, not the gifter, not non-followers', async () => {
    await follow(t, '2001', CHANNEL)
    const res = await gift(t, await token('2001'), { broadcaster_id: CHANNEL, tier: '1000', count: 5 })
    expect(res.status).toBe(201)
    expect(((await res.json()) as { data: { amount: number }[] }).data[0]!.amount).toBe(5 * 499)
    const [sent] = await giftsTo(CHANNEL)
    expect(sent).toMatchObject({ gifter_id: '2001', is_community: true, count: 5, gifter_total_gifts: 5 })
    expect(new Set(sent!.recipient_ids).size).toBe(5)
    for (const id of sent!.recipient_ids) expect(eligible).toContain(id)
    const started = (await outboxOf<Started>(sql(), 'subscriptions.subscription_started.v1')).filter((e) => e.broadcaster_id === CHANNEL && e.is_gift)
    expect(started.map((e) => e.user_id).sort()).toEqual([...sent!.recipient_ids].sort())
  })

  test('two gifts at once never pick one user twice nor a subscriber; more than remain eligible is refused, unpaid', async () => {
    const before = await activeIn(CHANNEL)
    // 2001 follows since the first gift (which it gave): eligible for others' gifts.
    const left = [...eligible, '2001'].filter((id) => !before.includes(id))
    expect(left).toHaveLength(20)
    const [a, b] = await Promise.all([
      gift(t, await token('2002'), { broadcaster_id: CHANNEL, tier: '1000', count: 9 }),
      gift(t, await token('2003'), { broadcaster_id: CHANNEL, tier: '3000', count: 9 }),
    ])
    expect([a.status, b.status]).toEqual([201, 201])
    const gifts = (await giftsTo(CHANNEL)).slice(1)
    const recipients = gifts.flatMap((g) => g.recipient_ids)
    expect(gifts.map((g) => g.count)).toEqual([9, 9])
    expect(new Set(recipients).size).toBe(18)
    for (const id of recipients) expect(left).toContain(id)
    const after = await activeIn(CHANNEL)
    expect(after).toHaveLength(before.length + 18)

    const tooMany = await gift(t, await token('2002'), { broadcaster_id: CHANNEL, tier: '1000', count: 3 })
    expect(tooMany.status).toBe(409)
    expect(((await tooMany.json()) as { type: string }).type).toBe(problemType('gift.not_enough_recipients'))
    const { n } = (await sql()<{ n: number }[]>`select count(*)::int as n from payments where purchaser_id = 2002`)[0]!
    expect(n).toBe(1)
  })

  test("the broadcaster's list has every subscriber once, with Helix's total and points; others may not read it", async () => {
    const owner = await token(CHANNEL)
    const seen: { user_id: string; tier: string; user_login: string; is_gift: boolean; gifter_id: string }[] = []
    let cursor: string | undefined
    let total = 0
    let points = 0
    do {
      const res = await t.request(`/api/subscriptions?broadcaster_id=${CHANNEL}&first=7${cursor ? `&after=${cursor}` : ''}`, { token: owner })
      expect(res.status).toBe(200)
      const page = (await res.json()) as { data: typeof seen; pagination: { cursor?: string }; total: number; points: number }
      seen.push(...page.data)
      ;({ total, points } = page)
      cursor = page.pagination.cursor
    } while (cursor)
    const active = await activeIn(CHANNEL)
    expect(seen.map((s) => s.user_id).sort()).toEqual(active)
    expect(total).toBe(active.length)
    const tier3 = seen.filter((s) => s.tier === '3000').length
    expect(tier3).toBe(9)
    expect(points).toBe(active.length - tier3 + 6 * tier3)
    expect(seen.find((s) => s.user_id === subscribed[0])).toMatchObject({ user_login: `user${subscribed[0]}`, is_gift: false, gifter_id: '' })
    expect((await t.request(`/api/subscriptions?broadcaster_id=${CHANNEL}`, { token: await token('2001') })).status).toBe(403)
  })

  test("Check User Subscription: your own (gifter shown for a gift), 404 when none, 403 for another's; your list", async () => {
    const [sent] = await giftsTo(CHANNEL)
    const recipient = sent!.recipient_ids[0]!
    const mine = await t.request(`/api/subscriptions/user?broadcaster_id=${CHANNEL}&user_id=${recipient}`, { token: await token(recipient) })
    expect(mine.status).toBe(200)
    expect(((await mine.json()) as { data: object[] }).data).toEqual([
      {
        broadcaster_id: CHANNEL,
        broadcaster_login: `user${CHANNEL}`,
        broadcaster_name: `User${CHANNEL}`,
        is_gift: true,
        tier: '1000',
        gifter_id: '2001',
        gifter_login: 'user2001',
        gifter_name: 'User2001',
      },
    ])
    expect((await t.request(`/api/subscriptions/user?broadcaster_id=${CHANNEL}&user_id=2200`, { token: await token('2200') })).status).toBe(404)
    expect((await t.request(`/api/subscriptions/user?broadcaster_id=${CHANNEL}&user_id=2200`, { token: await token(recipient) })).status).toBe(403)
    const list = await t.request('/api/subscriptions/me', { token: await token(recipient) })
    expect(((await list.json()) as { data: object[] }).data).toMatchObject([
      { broadcaster_id: CHANNEL, status: 'active', renews: false, is_gift: true, cumulative_months: 1, streak_months: 1 },
    ])
  })
})

describe('a community gift short of recipients when paid', () => {
  const CHANNEL = '3000'
  const refundsOf = async (paymentId: string) =>
    (await sql()<{ amount: string; provider_refund: string }[]>`select amount, provider_refund from payment_refunds where payment_id = ${paymentId} order by refunded_total`).map(
      (r) => [Number(r.amount), r.provider_refund.startsWith('dev_')],
    )
  const paymentIdOf = async (res: Response) => ((await res.json()) as { data: { payment_id: string }[] }).data[0]!.payment_id

  beforeAll(async () => {
    for (const id of [CHANNEL, '3001', '3002', ...range(3100, 9)]) await register(t, id)
    for (const id of range(3100, 4)) await follow(t, id, CHANNEL)
  }, 30_000)

  test('gives the subs it can and refunds the others at once (dev), in the ledger; the gift says how many', async () => {
    // Another gift holds one of the four eligible followers (3100–3103) while this one is paid.
    const res = await sql().begin(async (tx) => {
      await tx`select 1 from subscription_follows where broadcaster_id = ${CHANNEL} and user_id = 3103 for update`
      return gift(t, await token('3001'), { broadcaster_id: CHANNEL, tier: '1000', count: 4 })
    })
    expect(res.status).toBe(201)
    const paymentId = await paymentIdOf(res)
    expect(await refundsOf(paymentId)).toEqual([[499, true]])
    // The gift announced only what it kept, so what it gave back is no revenue refund.
    const refunds = await outboxOf<{ payment_id: string }>(sql(), 'subscriptions.purchase_refunded.v1')
    expect(refunds.filter((e) => e.payment_id === paymentId)).toEqual([])
    const [sent] = await giftsTo(CHANNEL)
    expect(sent).toMatchObject({ count: 3, amount: 3 * 499, gifter_total_gifts: 3 })
    expect(sent!.recipient_ids).not.toContain('3103')
    const read = (await (await t.request(`/api/subscriptions/payments?id=${paymentId}`, { token: await token('3001') })).json()) as { data: object[] }
    expect(read.data[0]).toMatchObject({ status: 'succeeded', amount: 4 * 499, amount_refunded: 499 })
  })

  test('two at once, together short of followers: each refunds exactly what it did not give, nobody gets two', async () => {
    // Six eligible followers now (3103 and five new ones); two gifts of four each.
    for (const id of range(3104, 5)) await follow(t, id, CHANNEL)
    const answers = await Promise.all([
      gift(t, await token('3001'), { broadcaster_id: CHANNEL, tier: '1000', count: 4 }),
      gift(t, await token('3002'), { broadcaster_id: CHANNEL, tier: '1000', count: 4 }),
    ])
    const paid = answers.filter((res) => res.status === 201)
    expect(paid.length).toBeGreaterThanOrEqual(1)
    const gifts = (await giftsTo(CHANNEL)).slice(1)
    const recipients = gifts.flatMap((g) => g.recipient_ids)
    expect(new Set(recipients).size).toBe(recipients.length)
    expect(recipients.length).toBeLessThanOrEqual(6)
    for (const res of paid) {
      const paymentId = await paymentIdOf(res)
      const [given] = await sql()<{ given: number }[]>`select given from subscription_gifts where payment_id = ${paymentId}`
      const refunded = (await refundsOf(paymentId)).reduce((sum, [amount]) => sum + (amount as number), 0)
      expect(refunded).toBe((4 - given!.given) * 499)
    }
    expect(gifts.map((g) => g.amount)).toEqual(gifts.map((g) => g.count * 499))
  }, 30_000)
})
