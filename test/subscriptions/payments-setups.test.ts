/**
 * A gift continued by its recipient through Stripe (issue 11, "Payments"), on a moved clock with
 * the real renewals job: with no card on file, continuing is a Checkout Session in setup mode
 * (the recipient's Stripe customer made or reused, the subscription named in its SetupIntent);
 * the verified webhook saves the card (no payment) and continues the gift once, however its
 * events are duplicated or reordered; each renewal then charges that card off-session once.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { waitFor } from '../../src/platform/events/test-probe.ts'
import { problemType } from '../../src/platform/http/problem.ts'
import { movableClock } from '../../src/platform/testing/clock.ts'
import { databaseDigest } from '../../src/platform/testing/database-digest.ts'
import { createTestPlatform, type TestPlatform } from '../../src/platform/testing/harness.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { deliverSigned, signatureOf, stripeEvents, stripeSubscribers, type StandInSetup } from './payments-stripe.ts'
import { DAY_MS, gift, outboxOf, register, subscribe, SUBSCRIBERS_ENV, SUBSCRIBERS_MODULES, subscriptionRow } from './subscribers.ts'

const clock = movableClock(new Date('2026-07-01T00:00:00Z'))
const CHANNEL = '600'
const OTHER_CHANNEL = '599'
const GIFTER = '610'
let world: Awaited<ReturnType<typeof stripeSubscribers>>
let t: TestPlatform
let stripe: typeof world.stripe
let tokens: Record<string, string>

beforeAll(async () => {
  world = await stripeSubscribers(clock, [CHANNEL, OTHER_CHANNEL, GIFTER, '601', '602', '603', '604', '605', '606', '607', '608', '611', '612'])
  ;({ t, stripe, tokens } = world)
}, 30_000)
afterAll(() => world.close(), 30_000)

const sql = () => t.sql.subscriptions!
const send = (event: object) => deliverSigned(t, event)
const row = (user: string, channel = CHANNEL) => subscriptionRow(sql(), channel, user)
const cancel = (user: string) => t.request(`/api/subscriptions?broadcaster_id=${CHANNEL}`, { method: 'DELETE', token: tokens[user] })

/** A paid action's Checkout Session, paid (Stripe's completion delivered). */
async function paid(answer: Promise<Response>) {
  const res = await answer
  expect(res.status).toBe(201)
  const paymentId = ((await res.json()) as { data: { payment_id: string }[] }).data[0]!.payment_id
  const session = stripe.sessions.find((s) => s.paymentId === paymentId)!
  expect(await send(stripeEvents.completed(session))).toBe('applied')
  return session
}

/** A gift sub to `user`, bought by the gifter through Stripe: the recipient's subscription, not renewing. */
async function giftTo(user: string) {
  await paid(gift(t, tokens[GIFTER]!, { broadcaster_id: CHANNEL, tier: '1000', user_id: user }))
  const gifted = (await row(user))!
  expect(gifted).toMatchObject({ status: 'active', is_gift: true, renews: false, cumulative_months: 1 })
  return gifted
}

type Setup = { setup_id: string; subscription_id: string; status: string; checkout_url: string }

/** The recipient continues at `tier`: 202 with the setup, and the session the stand-in made for it. */
async function continueGift(user: string, tier = '1000', key: string = crypto.randomUUID()): Promise<{ answer: Setup; setup: StandInSetup }> {
  const res = await subscribe(t, tokens[user]!, { broadcaster_id: CHANNEL, tier }, key)
  expect(res.status).toBe(202)
  const answer = ((await res.json()) as { data: Setup[] }).data[0]!
  return { answer, setup: stripe.setups.find((s) => s.setupId === answer.setup_id)! }
}

const setupsOf = (user: string) =>
  sql()<{ status: string; provider_customer: string | null; provider_payment_method: string | null; provider_setup_intent: string | null }[]>`
    select status, provider_customer, provider_payment_method, provider_setup_intent from card_setups where purchaser_id = ${user} order by created_at`

const renewalIntents = (user: string) => world.renewalIntents(user)

describe('continuing a gift through Stripe', () => {
  test('no card on file: a setup checkout, the webhook saves the card and continues the gift, each renewal charges that card once and months go on', async () => {
    const gifted = await giftTo('601')
    const key = crypto.randomUUID()
    const { answer, setup } = await continueGift('601', '2000', key)
    expect(answer).toEqual({ setup_id: setup.setupId, subscription_id: gifted.id, status: 'pending', checkout_url: `https://checkout.stripe.com/c/pay/${setup.id}` })
    // The recipient had no Stripe customer: one is made for them, under a key of theirs.
    const [customer] = stripe.customers.filter((c) => c.form.get('metadata[user_id]') === '601')
    expect(customer!.idempotencyKey).toBe('customer-601')
    expect(setup.form.get('mode')).toBe('setup')
    expect(setup.form.get('payment_method_types[0]')).toBe('card')
    expect(setup.customer).toBe(customer!.id)
    expect([setup.form.get('client_reference_id'), setup.form.get('metadata[setup_id]')]).toEqual([setup.setupId, setup.setupId])
    expect(setup.metadata).toEqual({ setup_id: setup.setupId, subscription_id: gifted.id })
    expect(new URL(setup.form.get('success_url')!).searchParams.get('setup_id')).toBe(setup.setupId)
    expect(setup.idempotencyKey).toBe(`setup-${setup.setupId}`)
    expect(setup.form.has('line_items[0][price_data][unit_amount]')).toBe(false)
    expect(await row('601')).toMatchObject({ renews: false, next_tier: null })

    // The request retried under its key: the same setup, no second session.
    const retried = await subscribe(t, tokens['601']!, { broadcaster_id: CHANNEL, tier: '2000' }, key)
    expect([retried.status, retried.headers.get('idempotent-replayed')]).toEqual([202, 'true'])
    expect(((await retried.json()) as { data: Setup[] }).data[0]).toEqual(answer)
    expect(stripe.setups.filter((s) => s.customer === customer!.id)).toHaveLength(1)

    expect(await send(stripeEvents.setupCompleted(setup))).toBe('applied')
    expect(await row('601')).toMatchObject({ status: 'active', renews: true, next_tier: '2000', is_gift: true })
    // The SetupIntent's own event names the card: filled in, nothing continued again.
    expect(await send(stripeEvents.setupSucceeded(setup))).toBe('ignored')
    expect([...(await setupsOf('601'))]).toEqual([
      { status: 'saved', provider_customer: customer!.id, provider_payment_method: setup.paymentMethod, provider_setup_intent: setup.setupIntent },
    ])
    expect(await sql()`select 1 from payments where purchaser_id = 601`).toHaveLength(0)

    const firstEnd = gifted.current_period_end
    clock.advance(30 * DAY_MS)
    await waitFor('the renewal', async () => (await row('601'))!.cumulative_months === 2)
    const [intent] = await renewalIntents('601')
    expect([intent!.form.get('customer'), intent!.form.get('payment_method'), intent!.form.get('off_session'), intent!.form.get('amount')]).toEqual([
      customer!.id,
      setup.paymentMethod,
      'true',
      '999',
    ])
    expect(intent!.idempotencyKey).toBe(`charge-renewal:${gifted.id}:${firstEnd.toISOString()}`)
    expect(await row('601')).toMatchObject({ status: 'active', tier: '2000', is_gift: false, renews: true, streak_months: 2 })

    clock.advance(30 * DAY_MS)
    await waitFor('the second renewal', async () => (await row('601'))!.cumulative_months === 3)
    expect(await renewalIntents('601')).toHaveLength(2)
    const renewed = (await outboxOf<{ user_id: string; amount: number; cumulative_months: number }>(sql(), 'subscriptions.subscription_renewed.v1')).filter(
      (e) => e.user_id === '601',
    )
    expect(renewed.map((e) => [e.cumulative_months, e.amount])).toEqual([
      [2, 999],
      [3, 999],
    ])
    expect((await cancel('601')).status).toBe(200)
  }, 30_000)

  test('duplicated and reordered deliveries: one saved card, one continuation, one charge per period', async () => {
    const gifted = await giftTo('602')
    const { setup } = await continueGift('602')
    const versionBefore = gifted.version
    const succeeded = stripeEvents.setupSucceeded(setup)
    const completed = stripeEvents.setupCompleted(setup)
    // The SetupIntent's event first, then both of them again, at once, and the completion as a new event too.
    expect(await send(succeeded)).toBe('applied')
    const outcomes = await Promise.all([send(completed), send(completed), send(succeeded), send(completed), send(stripeEvents.setupCompleted(setup))])
    // The same events again are known by their ids; the new one about a saved card moves nothing.
    expect(outcomes.toSorted()).toEqual(['duplicate', 'duplicate', 'duplicate', 'ignored', 'ignored'])
    expect(await setupsOf('602')).toHaveLength(1)
    expect((await setupsOf('602'))[0]).toMatchObject({ status: 'saved', provider_payment_method: setup.paymentMethod })
    expect(await row('602')).toMatchObject({ renews: true, next_tier: null, version: versionBefore })

    clock.advance(30 * DAY_MS)
    await waitFor('the renewal', async () => (await row('602'))!.cumulative_months === 2)
    await Bun.sleep(100)
    expect(await renewalIntents('602')).toHaveLength(1)
    expect(await row('602')).toMatchObject({ cumulative_months: 2, is_gift: false })
    expect((await cancel('602')).status).toBe(200)
  }, 30_000)

  test('only the session’s completion delivered: the renewal reads the card from its SetupIntent', async () => {
    await giftTo('603')
    const { setup } = await continueGift('603')
    expect(await send(stripeEvents.setupCompleted(setup))).toBe('applied')
    expect((await setupsOf('603'))[0]).toMatchObject({ status: 'saved', provider_payment_method: null, provider_setup_intent: setup.setupIntent })
    clock.advance(30 * DAY_MS)
    await waitFor('the renewal', async () => (await row('603'))!.cumulative_months === 2)
    const [intent] = await renewalIntents('603')
    expect([intent!.form.get('customer'), intent!.form.get('payment_method')]).toEqual([setup.customer, setup.paymentMethod])
    expect((await cancel('603')).status).toBe(200)
  }, 30_000)

  test('an expired setup continues nothing and the gift ends; a completion Stripe sends after all still continues it once', async () => {
    await giftTo('604')
    await giftTo('605')
    const late = (await continueGift('604')).setup
    const never = (await continueGift('605')).setup
    expect(await send(stripeEvents.setupExpired(late))).toBe('applied')
    expect(await send(stripeEvents.setupExpired(never))).toBe('applied')
    expect((await setupsOf('605'))[0]!.status).toBe('failed')
    expect(await row('604')).toMatchObject({ renews: false })
    expect(await send(stripeEvents.setupCompleted(late))).toBe('applied')
    expect(await send(stripeEvents.setupExpired(late))).toBe('ignored')
    expect(await row('604')).toMatchObject({ renews: true })

    clock.advance(30 * DAY_MS)
    await waitFor('the end of the gift not continued', async () => (await row('605'))!.status === 'ended')
    expect(await row('605')).toMatchObject({ end_reason: 'gift_ended', cumulative_months: 1 })
    await waitFor('the renewal', async () => (await row('604'))!.cumulative_months === 2)
    expect(await renewalIntents('605')).toHaveLength(0)
    expect((await cancel('604')).status).toBe(200)
  }, 30_000)

  test('canceled while its setup checkout is open: the card saved after is recorded, the gift is not continued, whatever the deliveries; a setup opened after the cancel still continues it', async () => {
    const gifted = await giftTo('611')
    const { setup } = await continueGift('611', '2000')
    expect((await cancel('611')).status).toBe(200)
    expect((await setupsOf('611'))[0]!.status).toBe('canceled')
    // The subscriber completes the page anyway: Stripe saves the card and says so, twice over, in any order.
    const succeeded = stripeEvents.setupSucceeded(setup)
    const completed = stripeEvents.setupCompleted(setup)
    const outcomes = await Promise.all([send(completed), send(succeeded), send(completed), send(succeeded), send(stripeEvents.setupCompleted(setup))])
    expect(outcomes.toSorted()).toEqual(['duplicate', 'duplicate', 'ignored', 'ignored', 'ignored'])
    expect(await send(stripeEvents.setupExpired(setup))).toBe('ignored')
    expect([...(await setupsOf('611'))]).toEqual([
      { status: 'canceled', provider_customer: setup.customer, provider_payment_method: setup.paymentMethod, provider_setup_intent: setup.setupIntent },
    ])
    expect(await row('611')).toMatchObject({ status: 'active', renews: false, next_tier: null, version: gifted.version })

    // 612 cancels, then continues again: only the setup opened after the cancel continues the gift.
    await giftTo('612')
    const before = (await continueGift('612')).setup
    expect((await cancel('612')).status).toBe(200)
    const after = (await continueGift('612')).setup
    expect(await send(stripeEvents.setupCompleted(before))).toBe('ignored')
    expect(await row('612')).toMatchObject({ renews: false })
    expect(await send(stripeEvents.setupCompleted(after))).toBe('applied')
    expect(await row('612')).toMatchObject({ renews: true })
    expect((await setupsOf('612')).map((s) => s.status)).toEqual(['canceled', 'saved'])

    clock.advance(30 * DAY_MS)
    await waitFor('the end of the gift not continued', async () => (await row('611'))!.status === 'ended')
    expect(await row('611')).toMatchObject({ end_reason: 'gift_ended', cumulative_months: 1 })
    await waitFor('the renewal', async () => (await row('612'))!.cumulative_months === 2)
    expect(await renewalIntents('611')).toHaveLength(0)
    expect((await cancel('612')).status).toBe(200)
  }, 30_000)

  test('a card on file continues at once (200, no setup); a Stripe customer of the recipient is reused for a setup', async () => {
    // 606 subscribed through Stripe (its Checkout saved the card), canceled, and continues.
    await paid(subscribe(t, tokens['606']!, { broadcaster_id: CHANNEL, tier: '1000' }))
    expect((await cancel('606')).status).toBe(200)
    const setupsBefore = stripe.setups.length
    const continued = await subscribe(t, tokens['606']!, { broadcaster_id: CHANNEL, tier: '1000' })
    expect(continued.status).toBe(200)
    expect(((await continued.json()) as { data: { renews: boolean }[] }).data[0]!.renews).toBe(true)
    expect(stripe.setups).toHaveLength(setupsBefore)

    // 607 pays a subscription to another channel (a customer of theirs), then is gifted one here: its setup is on that customer.
    const elsewhere = await paid(subscribe(t, tokens['607']!, { broadcaster_id: OTHER_CHANNEL, tier: '1000' }))
    await giftTo('607')
    const customersBefore = stripe.customers.length
    const { setup } = await continueGift('607')
    expect(setup.customer).toBe(elsewhere.customer)
    expect(stripe.customers).toHaveLength(customersBefore)
    expect((await cancel('606')).status).toBe(200)
  }, 30_000)

  test('bad input is a 4xx that writes nothing; Stripe down is a 502 that writes nothing', async () => {
    const gifted = await giftTo('608')
    const before = await databaseDigest(sql())
    const refused = [
      await subscribe(t, tokens['608']!, { broadcaster_id: CHANNEL, tier: '4000' }),
      await subscribe(t, tokens['608']!, { broadcaster_id: CHANNEL, tier: '1000', extra: true }),
      await subscribe(t, tokens['608']!, { broadcaster_id: 'x', tier: '1000' }),
      await t.request('/api/subscriptions', { method: 'POST', token: tokens['608'], json: { broadcaster_id: CHANNEL, tier: '1000' } }),
    ]
    for (const res of refused) {
      expect(res.status).toBe(400)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
    }
    stripe.state.down = true
    try {
      const res = await subscribe(t, tokens['608']!, { broadcaster_id: CHANNEL, tier: '1000' })
      expect(res.status).toBe(502)
      expect(((await res.json()) as { type: string }).type).toBe(problemType('payment.provider_unavailable'))
    } finally {
      stripe.state.down = false
    }
    expect(await databaseDigest(sql())).toBe(before)

    const { setup } = await continueGift('608')
    const afterSetup = await databaseDigest(sql())
    // Forged or someone else's: a 400 problem before anything is read.
    const payload = JSON.stringify(stripeEvents.setupCompleted(setup))
    for (const signature of [await signatureOf(payload, { secret: 'whsec_someone_else' }), 't=1,v1=deadbeef']) {
      const res = await t.request('/api/subscriptions/webhooks/stripe', {
        method: 'POST',
        body: payload,
        headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      })
      expect(res.status).toBe(400)
    }
    expect(await databaseDigest(sql())).toBe(afterSetup)
    // Signed, but about no setup of ours: acknowledged, nothing moved.
    const strangers = [
      { ...setup, setupId: crypto.randomUUID() },
      { ...setup, setupId: "'; drop table card_setups; --", sessionMetadata: { setup_id: 'not-a-uuid' } },
      { ...setup, metadata: {} },
    ]
    expect(await send(stripeEvents.setupCompleted(strangers[0]!))).toBe('ignored')
    expect(await send(stripeEvents.setupCompleted(strangers[1]!))).toBe('ignored')
    expect(await send(stripeEvents.setupSucceeded(strangers[2]!))).toBe('ignored')
    expect(await row('608')).toMatchObject({ renews: false })
    expect(await send(stripeEvents.setupSucceeded(setup))).toBe('applied')

    // Renewing already: continuing again is a 409.
    const again = await subscribe(t, tokens['608']!, { broadcaster_id: CHANNEL, tier: '1000' })
    expect(again.status).toBe(409)
    expect(((await again.json()) as { type: string }).type).toBe(problemType('subscription.already_active'))
    expect(await row('608')).toMatchObject({ id: gifted.id, renews: true })
    expect((await cancel('608')).status).toBe(200)
  }, 30_000)
})

describe('continuing a gift with the dev provider', () => {
  let dev: TestPlatform
  beforeAll(async () => {
    // A few connections: beside the Stripe platform's, on a Postgres other tests share.
    dev = await createTestPlatform(SUBSCRIBERS_MODULES, { ...SUBSCRIBERS_ENV, DB_POOL_MAX: '3' }, { clock })
    for (const id of [CHANNEL, GIFTER, '601']) await register(dev, id)
  }, 30_000)
  afterAll(() => dev.close(), 30_000)

  test('its card is saved at once through the same setups path (a dev card, no payment) and the gift continues: 200', async () => {
    expect((await gift(dev, await accessTokenFor(dev, GIFTER), { broadcaster_id: CHANNEL, tier: '1000', user_id: '601' })).status).toBe(201)
    const continued = await subscribe(dev, await accessTokenFor(dev, '601'), { broadcaster_id: CHANNEL, tier: '3000' })
    expect(continued.status).toBe(200)
    expect(((await continued.json()) as { data: { renews: boolean; next_tier: string }[] }).data[0]).toMatchObject({ renews: true, next_tier: '3000' })
    const setups = await dev.sql.subscriptions!<{ provider: string; status: string; provider_payment_method: string }[]>`
      select provider, status, provider_payment_method from card_setups where purchaser_id = 601`
    expect([...setups]).toEqual([{ provider: 'dev', status: 'saved', provider_payment_method: expect.stringMatching(/^dev_pm_/) }])
    expect(await dev.sql.subscriptions!`select 1 from payments where purchaser_id = 601`).toHaveLength(0)
  })
})
