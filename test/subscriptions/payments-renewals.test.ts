/**
 * Renewals through Stripe (issue 11, "Payments"), on a moved clock with the real job: the first
 * checkout saves the card, each renewal charges it off-session once per period (lost answers
 * retried under the same key, a replayed "processing" read again), declines and failures end the
 * subscription, a late success starts it again once, and a refunded subscription keeps its
 * period without renewal.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { waitFor } from '../../src/platform/events/test-probe.ts'
import { movableClock } from '../../src/platform/testing/clock.ts'
import type { TestPlatform } from '../../src/platform/testing/harness.ts'
import { deliverSigned, stripeEvents, stripeSubscribers, type StandInIntent, type StandInSession } from './payments-stripe.ts'
import { DAY_MS, gift, outboxOf, subscribe, subscriptionRow } from './subscribers.ts'

const clock = movableClock(new Date('2026-05-01T00:00:00Z'))
const CHANNEL = '500'
let world: Awaited<ReturnType<typeof stripeSubscribers>>
let t: TestPlatform
let stripe: typeof world.stripe
let tokens: Record<string, string>

beforeAll(async () => {
  world = await stripeSubscribers(clock, [CHANNEL, '499', '501', '502', '503', '504', '505', '506', '507', '508', '509', '510', '511', '512'])
  ;({ t, stripe, tokens } = world)
}, 30_000)
afterAll(() => world.close(), 30_000)

const sql = () => t.sql.subscriptions!
const send = (event: object) => deliverSigned(t, event)
const row = (user: string, channel = CHANNEL) => subscriptionRow(sql(), channel, user)

/** The Checkout Session the stand-in made for a paid action's answer. */
async function sessionOf(answer: Promise<Response>): Promise<StandInSession> {
  const res = await answer
  expect(res.status).toBe(201)
  const paymentId = ((await res.json()) as { data: { payment_id: string }[] }).data[0]!.payment_id
  return stripe.sessions.find((s) => s.paymentId === paymentId)!
}

/** Subscribes `user` through Stripe Checkout and pays it (both of Stripe's events about it): the session. */
async function subscribeWithStripe(user: string, channel = CHANNEL): Promise<StandInSession> {
  const session = await sessionOf(subscribe(t, tokens[user]!, { broadcaster_id: channel, tier: '1000' }))
  expect(await send(stripeEvents.completed(session))).toBe('applied')
  // Already confirmed: only the card it carries is new.
  expect(await send(stripeEvents.intentSucceeded(session))).toBe('ignored')
  expect(await row(user, channel)).toMatchObject({ status: 'active', cumulative_months: 1 })
  return session
}

const renewalIntents = (user: string): Promise<StandInIntent[]> => world.renewalIntents(user)

const eventsOf = async <P extends { user_id: string }>(type: string, user: string) => (await outboxOf<P>(sql(), type)).filter((e) => e.user_id === user)
const cancel = (user: string) => t.request(`/api/subscriptions?broadcaster_id=${CHANNEL}`, { method: 'DELETE', token: tokens[user] })

describe('Stripe renewals', () => {
  test('the first checkout saves the card; each renewal charges it off-session once, under a key of its period', async () => {
    const session = await subscribeWithStripe('501')
    expect(session.form.get('customer_creation')).toBe('always')
    expect(session.form.get('payment_intent_data[setup_future_usage]')).toBe('off_session')
    const [paid] = await sql()<{ provider_customer: string; provider_payment_method: string }[]>`
      select provider_customer, provider_payment_method from payments where id = ${session.paymentId}`
    expect(paid).toEqual({ provider_customer: session.customer!, provider_payment_method: session.paymentMethod })
    const { id, current_period_end: firstEnd } = (await row('501'))!

    clock.advance(30 * DAY_MS)
    await waitFor('the renewal', async () => (await row('501'))!.cumulative_months === 2)
    const [intent] = await renewalIntents('501')
    expect(intent!.form.get('customer')).toBe(session.customer!)
    expect(intent!.form.get('payment_method')).toBe(session.paymentMethod)
    expect([intent!.form.get('confirm'), intent!.form.get('off_session'), intent!.form.get('amount'), intent!.form.get('currency')]).toEqual(['true', 'true', '499', 'usd'])
    expect(intent!.idempotencyKey).toBe(`charge-renewal:${id}:${firstEnd.toISOString()}`)
    // Stripe's event about the charge the app saw succeed: nothing more, however delivered.
    const succeeded = stripeEvents.intentSucceeded(intent!)
    const outcomes = await Promise.all([send(succeeded), send(succeeded), send(succeeded), send(stripeEvents.intentSucceeded(intent!))])
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(0)
    expect(await row('501')).toMatchObject({ status: 'active', cumulative_months: 2, streak_months: 2 })

    clock.advance(30 * DAY_MS)
    await waitFor('the second renewal', async () => (await row('501'))!.cumulative_months === 3)
    const intents = await renewalIntents('501')
    expect(intents).toHaveLength(2)
    expect(new Set(intents.map((i) => i.idempotencyKey)).size).toBe(2)
    const renewed = await eventsOf<{ user_id: string; amount: number; currency: string; cumulative_months: number }>('subscriptions.subscription_renewed.v1', '501')
    expect(renewed.map((e) => [e.cumulative_months, e.amount, e.currency])).toEqual([
      [2, 499, 'USD'],
      [3, 499, 'USD'],
    ])

    // The buyer's next subscription checks out as the same Stripe customer.
    const other = await subscribe(t, tokens['501']!, { broadcaster_id: '499', tier: '1000' })
    expect(other.status).toBe(201)
    const next = stripe.sessions.at(-1)!
    expect([next.form.get('customer'), next.form.get('customer_creation')]).toEqual([session.customer, null])
    expect((await cancel('501')).status).toBe(200)
  }, 30_000)

  test('a renewal whose answers are lost is asked again by the next runs under its key: one charge, one renewal', async () => {
    await subscribeWithStripe('502')
    // The first attempt and the client's two retries: charged once at Stripe, every answer lost.
    stripe.state.loseAnswers = 3
    clock.advance(30 * DAY_MS)
    await waitFor('the renewal after the lost answers', async () => (await row('502'))!.cumulative_months === 2, 20_000)
    expect(stripe.state.loseAnswers).toBe(0)
    expect(await renewalIntents('502')).toHaveLength(1)
    const payments = await sql()<{ status: string }[]>`select status from payments where purchaser_id = 502 and details ? 'renewal'`
    expect([...payments]).toEqual([{ status: 'succeeded' }])
    expect(await eventsOf('subscriptions.subscription_renewed.v1', '502')).toHaveLength(1)
    expect((await cancel('502')).status).toBe(200)
  }, 30_000)

  test('a declined card ends the subscription at its period end (payment_failed); Stripe’s failure after it does nothing, a late success starts it again once', async () => {
    const session = await subscribeWithStripe('503')
    stripe.cards.set(session.paymentMethod, 'declined')
    clock.advance(30 * DAY_MS)
    await waitFor('the end', async () => (await row('503'))!.status === 'ended')
    expect(await row('503')).toMatchObject({ end_reason: 'payment_failed', cumulative_months: 1 })
    const [intent] = await renewalIntents('503')
    expect(intent!.status).toBe('requires_payment_method')
    const [payment] = await sql()<{ status: string; provider_payment_intent: string }[]>`
      select status, provider_payment_intent from payments where id = ${intent!.paymentId}`
    expect(payment).toEqual({ status: 'failed', provider_payment_intent: intent!.paymentIntent })
    expect(await send(stripeEvents.intentFailed(intent!))).toBe('ignored')
    const ended = await eventsOf<{ user_id: string; reason: string }>('subscriptions.subscription_ended.v1', '503')
    expect(ended.map((e) => e.reason)).toEqual(['payment_failed'])

    // Paid after all (a bank's late approval): the subscription comes back once, however delivered.
    const late = stripeEvents.intentSucceeded(intent!)
    const outcomes = await Promise.all([send(late), send(late), send(stripeEvents.intentSucceeded(intent!)), send(late)])
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1)
    expect(await row('503')).toMatchObject({ status: 'active', cumulative_months: 2, streak_months: 1 })
    expect(await eventsOf('subscriptions.subscription_started.v1', '503')).toHaveLength(2)
    expect(await send(late)).toBe('duplicate')
    expect((await cancel('503')).status).toBe(200)
  }, 30_000)

  test('a charge still processing waits for Stripe: payment_intent.succeeded renews once, payment_intent.payment_failed ends, whatever the deliveries', async () => {
    const sessions = [await subscribeWithStripe('504'), await subscribeWithStripe('505')]
    for (const s of sessions) stripe.cards.set(s.paymentMethod, 'processing')
    clock.advance(30 * DAY_MS)
    await waitFor('both charges out', async () => (await renewalIntents('504')).length + (await renewalIntents('505')).length === 2)
    await Bun.sleep(200)
    for (const user of ['504', '505']) expect(await row(user)).toMatchObject({ status: 'active', cumulative_months: 1 })

    const [paid] = await renewalIntents('504')
    const succeeded = stripeEvents.intentSucceeded(paid!)
    const outcomes = await Promise.all([...Array.from({ length: 5 }, () => send(succeeded)), send(stripeEvents.intentSucceeded(paid!))])
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1)
    expect(await row('504')).toMatchObject({ status: 'active', cumulative_months: 2 })
    expect(await eventsOf('subscriptions.subscription_renewed.v1', '504')).toHaveLength(1)

    const [declined] = await renewalIntents('505')
    const failed = stripeEvents.intentFailed(declined!)
    const failures = await Promise.all([send(failed), send(failed), send(stripeEvents.intentFailed(declined!))])
    expect(failures.filter((o) => o === 'applied')).toHaveLength(1)
    expect(await row('505')).toMatchObject({ status: 'ended', end_reason: 'payment_failed' })
    expect((await eventsOf<{ user_id: string; reason: string }>('subscriptions.subscription_ended.v1', '505')).map((e) => e.reason)).toEqual(['payment_failed'])
    expect((await cancel('504')).status).toBe(200)
  }, 30_000)

  test('a charge Stripe took (still processing) whose answers were lost, settled and announced before the retry: the retry reads it as it now is and renews once', async () => {
    const session = await subscribeWithStripe('509')
    stripe.cards.set(session.paymentMethod, 'processing')
    // Every answer lost, as long as this test says: the renewal's transaction rolls back each run.
    stripe.state.loseAnswers = Number.MAX_SAFE_INTEGER
    clock.advance(30 * DAY_MS)
    await waitFor('the charge at Stripe', async () => stripe.intents.some((i) => i.customer === session.customer))
    const intent = stripe.intents.find((i) => i.customer === session.customer)!
    expect(intent.status).toBe('processing')
    // Paid, and said so while no payment of ours names it: acknowledged, nothing to move.
    intent.status = 'succeeded'
    expect(await send(stripeEvents.intentSucceeded(intent))).toBe('ignored')
    expect(await sql()`select 1 from payments where id = ${intent.paymentId}`).toHaveLength(0)
    stripe.state.loseAnswers = 0
    // The retry is answered "processing" again (Stripe replays a key's first answer).
    await waitFor('the renewal', async () => (await row('509'))!.cumulative_months === 2, 10_000)
    const [payment] = await sql()<{ status: string; provider_payment_intent: string }[]>`
      select status, provider_payment_intent from payments where id = ${intent.paymentId}`
    expect(payment).toEqual({ status: 'succeeded', provider_payment_intent: intent.paymentIntent })
    expect(stripe.intents.filter((i) => i.customer === session.customer)).toHaveLength(1)
    // Past the 3 days a payment may stay unconfirmed: still paid, still active.
    clock.advance(4 * DAY_MS)
    await Bun.sleep(200)
    expect(await row('509')).toMatchObject({ status: 'active', cumulative_months: 2, streak_months: 2 })
    expect(await eventsOf('subscriptions.subscription_renewed.v1', '509')).toHaveLength(1)
    expect((await cancel('509')).status).toBe(200)
  }, 30_000)

  test('a charge Stripe took whose answers were lost, the price and the next tier changed before the next run: it asks the first amount under its key, one charge, renewed at that tier', async () => {
    const session = await subscribeWithStripe('511', '499')
    const { id, current_period_end } = (await row('511', '499'))!
    const key = `charge-renewal:${id}:${current_period_end.toISOString()}`
    stripe.state.loseAnswers = Number.MAX_SAFE_INTEGER
    clock.advance(30 * DAY_MS)
    await waitFor('the charge at Stripe', async () => stripe.intents.some((i) => i.customer === session.customer))
    // The broadcaster raises the price while the renewal's answers are lost, before the job's next run; the subscriber upgrades too.
    await sql()`insert into subscription_tiers (broadcaster_id, tier, name, price_minor, currency) values (499, '1000', 'Tier 1', 599, 'USD')`
    const upgraded = await t.request('/api/subscriptions?broadcaster_id=499', { method: 'PATCH', token: tokens['511'], json: { tier: '2000' } })
    expect(upgraded.status).toBe(200)
    try {
      // The first run's request and the client's two retries, then the next run's.
      await waitFor('the next run', async () => (stripe.asked.get(key) ?? 0) > 3, 10_000)
      stripe.state.loseAnswers = 0
      await waitFor('the renewal', async () => (await row('511', '499'))!.cumulative_months === 2, 10_000)
    } finally {
      stripe.state.loseAnswers = 0
      await sql()`delete from subscription_tiers where broadcaster_id = 499`
    }
    const charged = stripe.intents.filter((i) => i.customer === session.customer)
    expect(charged.map((i) => [i.amount, i.idempotencyKey])).toEqual([[499, key]])
    const [payment] = await sql()<{ status: string; amount: string }[]>`select status, amount from payments where id = ${charged[0]!.paymentId}`
    expect({ ...payment, amount: Number(payment!.amount) }).toEqual({ status: 'succeeded', amount: 499 })
    // Renewed at the tier the first attempt was for.
    expect(await row('511', '499')).toMatchObject({ status: 'active', tier: '1000' })
    const renewed = await eventsOf<{ user_id: string; amount: number; tier: string }>('subscriptions.subscription_renewed.v1', '511')
    expect(renewed.map((e) => [e.amount, e.tier])).toEqual([[499, '1000']])
  }, 30_000)

  test('a key Stripe refuses as used with other parameters fails the renewal once (payment_failed), not asked again every run', async () => {
    await subscribeWithStripe('512')
    const { id, current_period_end } = (await row('512'))!
    const key = `charge-renewal:${id}:${current_period_end.toISOString()}`
    stripe.claimKey('/v1/payment_intents', key)
    clock.advance(30 * DAY_MS)
    await waitFor('the renewal to fail', async () => (await row('512'))!.status === 'ended', 10_000)
    expect(await row('512')).toMatchObject({ end_reason: 'payment_failed', cumulative_months: 1 })
    const payments = await sql()<{ status: string }[]>`select status from payments where purchaser_id = 512 and details ? 'renewal'`
    expect([...payments]).toEqual([{ status: 'failed' }])
    await Bun.sleep(200)
    expect(stripe.asked.get(key)).toBe(1)
    expect((await eventsOf<{ user_id: string; reason: string }>('subscriptions.subscription_ended.v1', '512')).map((e) => e.reason)).toEqual(['payment_failed'])
  }, 30_000)

  test('a partial refund changes nothing; a full one keeps access to the period’s end without renewal, then it ends (refunded)', async () => {
    const session = await subscribeWithStripe('506')
    expect(await send(stripeEvents.refunded(session, { amountRefunded: 100 }))).toBe('applied')
    expect(await row('506')).toMatchObject({ status: 'active', renews: true })
    expect(await send(stripeEvents.refunded(session))).toBe('applied')
    expect(await row('506')).toMatchObject({ status: 'active', renews: false })
    const ledger = await sql()<{ amount: string }[]>`select amount from payment_refunds where payment_id = ${session.paymentId} order by refunded_total`
    expect(ledger.map((r) => Number(r.amount))).toEqual([100, 399])
    expect(await send(stripeEvents.refunded(session))).toBe('ignored')
    // Each step is revenue given back, for analytics: negative in its day, never twice.
    const refunds = (await outboxOf<{ payment_id: string; kind: string; tier: string; amount: number; currency: string }>(sql(), 'subscriptions.purchase_refunded.v1')).filter(
      (e) => e.payment_id === session.paymentId,
    )
    expect(refunds.map(({ kind, tier, amount, currency }) => ({ kind, tier, amount, currency }))).toEqual([
      { kind: 'subscription', tier: '1000', amount: 100, currency: 'USD' },
      { kind: 'subscription', tier: '1000', amount: 399, currency: 'USD' },
    ])

    clock.advance(30 * DAY_MS - 60_000)
    await Bun.sleep(200)
    expect(await row('506')).toMatchObject({ status: 'active' })
    clock.advance(60_000)
    await waitFor('the end of the refunded period', async () => (await row('506'))!.status === 'ended')
    expect(await row('506')).toMatchObject({ end_reason: 'refunded', cumulative_months: 1 })
    expect(await renewalIntents('506')).toHaveLength(0)
    expect((await eventsOf<{ user_id: string; reason: string }>('subscriptions.subscription_ended.v1', '506')).map((e) => e.reason)).toEqual(['refunded'])
  }, 30_000)

  test('the card unknown to the events (no payment_intent.succeeded seen) is read from the first PaymentIntent; a continuation whose card was never saved is not renewed; with no card at all, the renewal fails', async () => {
    const session = await sessionOf(subscribe(t, tokens['507']!, { broadcaster_id: CHANNEL, tier: '1000' }))
    expect(await send(stripeEvents.completed(session))).toBe('applied')
    // A gift bought through Stripe, which its recipient continues but never saves a card for (payments-setups.test.ts saves one).
    const gifted = await sessionOf(gift(t, tokens['507']!, { broadcaster_id: CHANNEL, tier: '1000', user_id: '508' }))
    expect(await send(stripeEvents.completed(gifted))).toBe('applied')
    expect((await subscribe(t, tokens['508']!, { broadcaster_id: CHANNEL, tier: '1000' })).status).toBe(202)
    // Bought before Checkout saved cards: its payment names no customer.
    const legacy = await subscribeWithStripe('510')
    await sql()`update payments set provider_customer = null, provider_payment_method = null where id = ${legacy.paymentId}`

    clock.advance(30 * DAY_MS)
    await waitFor('the renewal', async () => (await row('507'))!.cumulative_months === 2)
    const [intent] = await renewalIntents('507')
    expect([intent!.form.get('customer'), intent!.form.get('payment_method')]).toEqual([session.customer, session.paymentMethod])
    await waitFor('the gift to end', async () => (await row('508'))!.status === 'ended')
    expect(await row('508')).toMatchObject({ end_reason: 'gift_ended', cumulative_months: 1 })
    await waitFor('the renewal with no card to fail', async () => (await row('510'))!.status === 'ended')
    expect(await row('510')).toMatchObject({ end_reason: 'payment_failed', cumulative_months: 1 })
    expect([...(await renewalIntents('508')), ...(await renewalIntents('510'))]).toHaveLength(0)
    expect((await cancel('507')).status).toBe(200)
  }, 30_000)
})
