/**
 * Payments through Stripe (issue 11, "Payments"): Checkout Sessions made by the official client,
 * and the webhook under duplicated, reordered, concurrent and forged deliveries, full and partial refunds.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { subscriptions } from '../../src/modules/subscriptions/index.ts'
import { pruneWebhookEvents } from '../../src/modules/subscriptions/payments/webhook.ts'
import { createModuleDatabase } from '../../src/platform/db/database.ts'
import { problemType } from '../../src/platform/http/problem.ts'
import { createMetrics } from '../../src/platform/metrics.ts'
import { databaseDigest } from '../../src/platform/testing/database-digest.ts'
import { publishedEvents } from '../../src/platform/testing/events.ts'
import type { TestPlatform } from '../../src/platform/testing/harness.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { subscriptionsPlatform } from './channel-points.ts'
import { follow, gift, register } from './subscribers.ts'
import { deliverSigned, signatureOf, stripeEvents, stripeSettings, stripeStandIn, type StandInSession } from './payments-stripe.ts'

let t: TestPlatform
let stripe: ReturnType<typeof stripeStandIn>
let fan = ''
let owner = ''

const WEBHOOK = '/api/subscriptions/webhooks/stripe'
const sendRaw = (payload: string, signature: string | undefined) =>
  t.request(WEBHOOK, {
    method: 'POST',
    body: payload,
    headers: { 'content-type': 'application/json', ...(signature === undefined ? {} : { 'stripe-signature': signature }) },
  })
const send = (event: object) => deliverSigned(t, event)

/** A donation checked out with Stripe: the payment pending, the session the stand-in made for it. */
const checkout = async (amount = 500, currency = 'USD'): Promise<StandInSession> => {
  const res = await t.request('/api/subscriptions/donations?broadcaster_id=800', { method: 'POST', token: fan, json: { amount, currency, message: 'hi' } })
  expect(res.status).toBe(201)
  const [payment] = ((await res.json()) as { data: { payment_id: string; status: string; checkout_url: string }[] }).data
  expect(payment!.status).toBe('pending')
  const session = stripe.sessions.find((s) => s.paymentId === payment!.payment_id)!
  expect(payment!.checkout_url).toBe(`https://checkout.stripe.com/c/pay/${session.id}`)
  return session
}

const paymentOf = async (s: StandInSession) => {
  const [row] = await t.sql.subscriptions!<{ status: string; provider_reference: string; provider_payment_intent: string | null }[]>`
    select status, provider_reference, provider_payment_intent from payments where id = ${s.paymentId}`
  return row!
}
/** What the payment did: its donations, refunds and events. */
const effects = async (s: StandInSession) => {
  const [row] = await t.sql.subscriptions!<{ donations: number; refunds: number }[]>`
    select (select count(*)::int from donations where payment_id = ${s.paymentId}) as donations,
      (select count(*)::int from donation_refunds r join donations d on d.id = r.donation_id where d.payment_id = ${s.paymentId}) as refunds`
  const [donation] = await t.sql.subscriptions!<{ id: string }[]>`select id from donations where payment_id = ${s.paymentId}`
  const events = (await publishedEvents(t, subscriptions)).filter((e) => (e.payload as { donation_id?: string }).donation_id === donation?.id)
  return {
    ...row!,
    received: events.filter((e) => e.type === 'subscriptions.donation_received.v1').length,
    refunded: events.filter((e) => e.type === 'subscriptions.donation_refunded.v1').length,
  }
}

/** A payment's refunds: the ledger's entries, the donation's reversals and the events' amounts, oldest first. */
const refundsOf = async (s: StandInSession) => {
  const ledger = await t.sql.subscriptions!<{ amount: string }[]>`select amount from payment_refunds where payment_id = ${s.paymentId} order by refunded_total`
  const donation = await t.sql.subscriptions!<{ amount: string }[]>`
    select r.amount from donation_refunds r join donations d on d.id = r.donation_id where d.payment_id = ${s.paymentId} order by r.amount desc, r.refunded_at`
  const [donationRow] = await t.sql.subscriptions!<{ id: string }[]>`select id from donations where payment_id = ${s.paymentId}`
  const events = (await publishedEvents(t, subscriptions, { type: 'subscriptions.donation_refunded.v1' }))
    .map((e) => e.payload as { donation_id: string; amount: number })
    .filter((e) => e.donation_id === donationRow?.id)
  return {
    ledger: ledger.map((r) => Number(r.amount)),
    donation: donation.map((r) => Number(r.amount)),
    events: events.map((e) => e.amount),
    status: (await paymentOf(s)).status,
  }
}

beforeAll(async () => {
  stripe = stripeStandIn()
  t = await subscriptionsPlatform({ DB_POOL_MAX: '20', ...stripeSettings(stripe.url) })
  fan = await accessTokenFor(t, '801')
  owner = await accessTokenFor(t, '800')
  await register(t, '800')
}, 30_000)
afterAll(async () => {
  await t.close()
  await stripe.stop()
}, 30_000)

describe('Stripe Checkout', () => {
  test('a session in payment mode naming the payment everywhere its events look, under the payment’s idempotency key', async () => {
    const s = await checkout(1234, 'EUR')
    expect(s.form.get('mode')).toBe('payment')
    expect(s.form.get('metadata[payment_id]')).toBe(s.paymentId)
    expect(s.form.get('payment_intent_data[metadata][payment_id]')).toBe(s.paymentId)
    expect([s.amount, s.currency]).toEqual([1234, 'eur'])
    expect(s.idempotencyKey).toBe(`checkout-${s.paymentId}`)
    expect(await paymentOf(s)).toMatchObject({ status: 'pending', provider_reference: s.id })
    expect(await effects(s)).toEqual({ donations: 0, refunds: 0, received: 0, refunded: 0 })
  })

  test('Stripe unreachable: a 502 problem, nothing charged, nothing written', async () => {
    const before = await databaseDigest(t.sql.subscriptions!)
    stripe.state.down = true
    try {
      const res = await t.request('/api/subscriptions/donations?broadcaster_id=800', { method: 'POST', token: fan, json: { amount: 500, currency: 'USD' } })
      expect(res.status).toBe(502)
      expect(((await res.json()) as { type: string }).type).toBe(problemType('payment.provider_unavailable'))
    } finally {
      stripe.state.down = false
    }
    expect(await databaseDigest(t.sql.subscriptions!)).toBe(before)
  }, 30_000)
})

describe('the Stripe webhook', () => {
  test('checkout.session.completed confirms and fulfils once; its redelivery and the payment_intent.succeeded after it do nothing', async () => {
    const s = await checkout()
    const completed = stripeEvents.completed(s)
    expect(await send(completed)).toBe('applied')
    expect(await paymentOf(s)).toMatchObject({ status: 'succeeded', provider_payment_intent: s.paymentIntent })
    expect(await send(completed)).toBe('duplicate')
    expect(await send(stripeEvents.intentSucceeded(s))).toBe('ignored')
    expect(await effects(s)).toEqual({ donations: 1, refunds: 0, received: 1, refunded: 0 })
  })

  test('the buyer reads their payment: pending with its page, then succeeded; nobody else sees it', async () => {
    const s = await checkout()
    const read = (token: string, id = s.paymentId) => t.request(`/api/subscriptions/payments?id=${id}`, { token })
    const state = async () => ((await (await read(fan)).json()) as { data: { status: string; checkout_url: string | null }[] }).data[0]
    expect(await state()).toMatchObject({ status: 'pending', checkout_url: `https://checkout.stripe.com/c/pay/${s.id}` })
    await send(stripeEvents.completed(s))
    expect(await state()).toMatchObject({ status: 'succeeded', checkout_url: null, confirmed_at: expect.any(String) })
    expect((await read(owner)).status).toBe(404)
    expect((await read(fan, crypto.randomUUID())).status).toBe(404)
    expect((await read(fan, 'not-a-uuid')).status).toBe(400)
  })

  test('reordered: payment_intent.succeeded first, the session’s completion after: one activation', async () => {
    const s = await checkout()
    expect(await send(stripeEvents.intentSucceeded(s))).toBe('applied')
    expect(await send(stripeEvents.completed(s))).toBe('ignored')
    expect(await effects(s)).toEqual({ donations: 1, refunds: 0, received: 1, refunded: 0 })
  })

  test('a subscription bought through Stripe: duplicated and reordered deliveries start it once, with one event', async () => {
    const res = await t.request('/api/subscriptions', {
      method: 'POST',
      token: fan,
      json: { broadcaster_id: '800', tier: '1000' },
      headers: { 'idempotency-key': crypto.randomUUID() },
    })
    expect(res.status).toBe(201)
    const [payment] = ((await res.json()) as { data: { payment_id: string; status: string }[] }).data
    expect(payment!.status).toBe('pending')
    const s = stripe.sessions.find((session) => session.paymentId === payment!.payment_id)!
    const active = async () => {
      const [row] = await t.sql.subscriptions!<{ n: number }[]>`
        select count(*)::int as n from subscriptions where broadcaster_id = 800 and user_id = 801 and status = 'active'`
      return row!.n
    }
    expect(await active()).toBe(0)
    const completed = stripeEvents.completed(s)
    expect(await Promise.all([send(stripeEvents.intentSucceeded(s)), send(completed), send(completed)])).toContain('applied')
    expect(await send(completed)).toBe('duplicate')
    expect(await active()).toBe(1)
    const started = await publishedEvents(t, subscriptions, { type: 'subscriptions.subscription_started.v1' })
    expect(started.filter((e) => (e.payload as { user_id: string }).user_id === '801')).toHaveLength(1)
  })

  test('a completed session of a delayed method waits for async_payment_succeeded', async () => {
    const s = await checkout()
    expect(await send(stripeEvents.completed(s, false))).toBe('ignored')
    expect((await paymentOf(s)).status).toBe('pending')
    expect(await send(stripeEvents.asyncSucceeded(s))).toBe('applied')
    expect(await effects(s)).toEqual({ donations: 1, refunds: 0, received: 1, refunded: 0 })
  })

  test('the same event delivered 20 times at once, beside the other events of the same payment: one activation', async () => {
    const s = await checkout()
    const completed = stripeEvents.completed(s)
    const outcomes = await Promise.all([
      ...Array.from({ length: 20 }, () => send(completed)),
      send(stripeEvents.intentSucceeded(s)),
      send(stripeEvents.asyncSucceeded(s)),
    ])
    expect(outcomes.filter((o) => o === 'applied').length).toBe(1)
    expect(outcomes.slice(0, 20).filter((o) => o === 'duplicate').length).toBeGreaterThanOrEqual(19)
    expect(await effects(s)).toEqual({ donations: 1, refunds: 0, received: 1, refunded: 0 })
  }, 30_000)

  test('a full refund reverses the donation beside it (kept, marked refunded, net zero for its donor) once', async () => {
    const s = await checkout(2500)
    await send(stripeEvents.completed(s))
    const refunded = stripeEvents.refunded(s, { metadata: false })
    expect(await send(refunded)).toBe('applied')
    expect(await send(refunded)).toBe('duplicate')
    expect(await send(stripeEvents.refunded(s))).toBe('ignored')
    expect((await paymentOf(s)).status).toBe('refunded')
    expect(await effects(s)).toEqual({ donations: 1, refunds: 1, received: 1, refunded: 1 })
    const [entry] = await t.sql.subscriptions!<{ amount: string }[]>`
      select r.amount from donation_refunds r join donations d on d.id = r.donation_id where d.payment_id = ${s.paymentId}`
    expect(Number(entry!.amount)).toBe(-2500)
    const page = (await (await t.request('/api/subscriptions/donations?broadcaster_id=800&first=100', { token: owner })).json()) as {
      data: { amount: number; status: string; refunded_at: string | null }[]
    }
    expect(page.data.find((d) => d.amount === 2500)).toMatchObject({ status: 'refunded', refunded_at: expect.any(String) })
    // A late confirmation after the refund moves nothing back.
    expect(await send(stripeEvents.intentSucceeded(s))).toBe('ignored')
    expect((await paymentOf(s)).status).toBe('refunded')
  })

  test('a refund delivered before the payment’s confirmation: confirmed then refunded, each once; the confirmation after does nothing', async () => {
    const s = await checkout()
    expect(await send(stripeEvents.refunded(s))).toBe('applied')
    expect(await send(stripeEvents.completed(s))).toBe('ignored')
    expect(await effects(s)).toEqual({ donations: 1, refunds: 1, received: 1, refunded: 1 })
  })

  test('partial refunds in a row, each event with the charge’s refunded total: each reverses only what is new, as its own entry, once', async () => {
    const s = await checkout(2500)
    await send(stripeEvents.completed(s))
    const first = stripeEvents.refunded(s, { amountRefunded: 500 })
    expect(await send(first)).toBe('applied')
    expect(await send(first)).toBe('duplicate')
    // Another event telling the same total (Stripe's `charge.refund.updated` after it, say): nothing new.
    expect(await send(stripeEvents.refunded(s, { amountRefunded: 500 }))).toBe('ignored')
    expect(await refundsOf(s)).toEqual({ ledger: [500], donation: [-500], events: [500], status: 'succeeded' })
    // Two more refunds, delivered at once, the later total first, each three times.
    const [second, third] = [stripeEvents.refunded(s, { amountRefunded: 900 }), stripeEvents.refunded(s, { amountRefunded: 1200 })]
    const outcomes = await Promise.all([third, second, third, second, third, second].map(send))
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(4)
    const after = await refundsOf(s)
    expect(after.ledger.reduce((a, b) => a + b, 0)).toBe(1200)
    expect(after.donation.reduce((a, b) => a + b, 0)).toBe(-1200)
    expect(after.events).toEqual(after.ledger)
    expect(after.status).toBe('succeeded')
    const donation = async () =>
      ((await (await t.request('/api/subscriptions/donations?broadcaster_id=800&first=100', { token: owner })).json()) as {
        data: { id: string; amount: number; status: string; amount_refunded: number }[]
      }).data.find((d) => d.amount === 2500 && d.amount_refunded > 0)
    expect(await donation()).toMatchObject({ status: 'received', amount_refunded: 1200 })
    // The rest, in full: the payment is refunded, the last entry what was left.
    expect(await send(stripeEvents.refunded(s))).toBe('applied')
    const full = await refundsOf(s)
    expect(full.ledger.at(-1)).toBe(1300)
    expect(full).toMatchObject({ status: 'refunded' })
    expect(full.events.reduce((a, b) => a + b, 0)).toBe(2500)
    expect(await donation()).toMatchObject({ status: 'refunded', amount_refunded: 2500 })
    const read = (await (await t.request(`/api/subscriptions/payments?id=${s.paymentId}`, { token: fan })).json()) as { data: { amount_refunded: number; status: string }[] }
    expect(read.data[0]).toMatchObject({ status: 'refunded', amount_refunded: 2500 })
    expect(await send(stripeEvents.refunded(s, { amountRefunded: 2000 }))).toBe('ignored')
    expect((await refundsOf(s)).ledger).toEqual(full.ledger)
  }, 30_000)

  test('a partial refund of a payment not yet confirmed confirms it first; a refunded total above the charge is capped', async () => {
    const s = await checkout(1000)
    expect(await send(stripeEvents.refunded(s, { amountRefunded: 300 }))).toBe('applied')
    expect(await effects(s)).toEqual({ donations: 1, refunds: 1, received: 1, refunded: 1 })
    expect(await send(stripeEvents.completed(s))).toBe('ignored')
    expect(await refundsOf(s)).toEqual({ ledger: [300], donation: [-300], events: [300], status: 'succeeded' })
  })

  test('an expired session fails the payment; a confirmation Stripe sends after all still fulfils it once', async () => {
    const s = await checkout()
    expect(await send(stripeEvents.expired(s))).toBe('applied')
    expect((await paymentOf(s)).status).toBe('failed')
    expect(await send(stripeEvents.completed(s))).toBe('applied')
    expect(await send(stripeEvents.expired(s))).toBe('ignored')
    expect((await paymentOf(s)).status).toBe('succeeded')
    expect(await effects(s)).toEqual({ donations: 1, refunds: 0, received: 1, refunded: 0 })
  })

  test('events about no payment of ours, or paid amounts that do not match the checkout, are acknowledged and change nothing', async () => {
    const s = await checkout()
    const mismatched = stripeEvents.completed({ ...s, amount: s.amount - 1 })
    const stranger = stripeEvents.completed({ ...s, paymentId: crypto.randomUUID() })
    const notOurs = stripeEvents.other('customer.created', { id: 'cus_1', object: 'customer' })
    const noMetadata = stripeEvents.other('payment_intent.succeeded', { id: 'pi_x', object: 'payment_intent', metadata: { payment_id: "1' or 1=1" } })
    const before = await databaseDigest(t.sql.subscriptions!)
    for (const event of [mismatched, stranger, notOurs, noMetadata]) expect(await send(event)).toBe('ignored')
    const [recorded] = await t.sql.subscriptions!<{ n: number }[]>`select count(*)::int as n from stripe_webhook_events where event_id = any(${[mismatched.id, stranger.id, notOurs.id, noMetadata.id]})`
    expect(recorded!.n).toBe(4)
    expect((await paymentOf(s)).status).toBe('pending')
    expect(await databaseDigest(t.sql.subscriptions!)).not.toBe(before)
  })

  test('a bad signature is a 400 problem that writes nothing: none, forged, another secret’s, tampered, stale', async () => {
    const s = await checkout()
    const payload = JSON.stringify(stripeEvents.completed(s))
    const tampered = payload.replace('"paid"', '"paid" ')
    const stale = await signatureOf(payload, { timestamp: Math.floor(Date.now() / 1000) - 600 })
    const attempts: [string, string | undefined][] = [
      [payload, undefined],
      [payload, 't=1,v1=deadbeef'],
      [payload, await signatureOf(payload, { secret: 'whsec_someone_else' })],
      [tampered, await signatureOf(payload)],
      [payload, stale],
      ['', await signatureOf('')],
      ['not json', await signatureOf('not json')],
      ['{"id":"evt_1","type":"x"}', await signatureOf('{"id":"evt_1","type":"x"}')],
    ]
    const before = await databaseDigest(t.sql.subscriptions!)
    for (const [body, signature] of attempts) {
      const res = await sendRaw(body, signature)
      expect(res.status).toBe(400)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
      expect(((await res.json()) as { type: string }).type).toBe(problemType('payment.signature_invalid'))
    }
    expect(await databaseDigest(t.sql.subscriptions!)).toBe(before)
    expect((await paymentOf(s)).status).toBe('pending')
  })

  test('event ids are kept 30 days (Stripe retries for 3), then pruned', async () => {
    const s = await checkout()
    const old = stripeEvents.completed(s)
    expect(await send(old)).toBe('applied')
    await t.sql.subscriptions!`update stripe_webhook_events set received_at = now() - interval '31 days' where event_id = ${old.id}`
    const database = createModuleDatabase({ module: 'subscriptions', url: t.databaseUrls.subscriptions!, poolMax: 1, queryDuration: createMetrics().queryDuration })
    try {
      expect(await pruneWebhookEvents(database)).toBe(1)
    } finally {
      await database.close()
    }
    const [left] = await t.sql.subscriptions!<{ n: number }[]>`select count(*)::int as n from stripe_webhook_events where event_id = ${old.id}`
    expect(left!.n).toBe(0)
    const [kept] = await t.sql.subscriptions!<{ n: number }[]>`select count(*)::int as n from stripe_webhook_events`
    expect(kept!.n).toBeGreaterThan(0)
  })
})

describe('a community gift through Stripe', () => {
  test('finding fewer eligible followers when paid than when asked, it gives those and refunds the rest once, a lost answer retried under its key', async () => {
    for (const id of ['810', '811', '812']) {
      await register(t, id)
      await follow(t, id, '800')
    }
    const res = await gift(t, fan, { broadcaster_id: '800', tier: '1000', count: 3 })
    expect(res.status).toBe(201)
    const paymentId = ((await res.json()) as { data: { payment_id: string }[] }).data[0]!.payment_id
    const s = stripe.sessions.find((session) => session.paymentId === paymentId)!
    // One of them unfollows while the gifter is on Stripe's page.
    await follow(t, '812', '800', 2, false)
    const completed = stripeEvents.completed(s)
    // The refund is made at Stripe but its answers are lost: the delivery fails whole, Stripe delivers again.
    stripe.state.loseAnswers = 3
    const before = await databaseDigest(t.sql.subscriptions!)
    expect(await send(completed)).toBe('502')
    expect(await databaseDigest(t.sql.subscriptions!)).toBe(before)
    const outcomes = await Promise.all([send(completed), send(completed), send(stripeEvents.intentSucceeded(s))])
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1)
    const refunds = stripe.refunds.filter((r) => r.paymentIntent === s.paymentIntent)
    expect(refunds.map((r) => [r.amount, r.idempotencyKey])).toEqual([[499, `refund-${paymentId}-499`]])
    const ledger = await t.sql.subscriptions!<{ amount: string; provider_refund: string }[]>`
      select amount, provider_refund from payment_refunds where payment_id = ${paymentId}`
    expect(ledger.map((r) => [Number(r.amount), r.provider_refund])).toEqual([[499, refunds[0]!.id]])
    const sent = (await publishedEvents(t, subscriptions, { type: 'subscriptions.gift_sent.v1' })).map((e) => e.payload as { broadcaster_id: string; count: number; amount: number; recipient_ids: string[] })
    expect(sent.filter((g) => g.broadcaster_id === '800')).toMatchObject([{ count: 2, amount: 998 }])
    expect(sent.find((g) => g.broadcaster_id === '800')!.recipient_ids.sort()).toEqual(['810', '811'])
    // Stripe's word of the refund it made: nothing new.
    expect(await send(stripeEvents.refunded(s, { amountRefunded: 499 }))).toBe('ignored')
    expect((await paymentOf(s)).status).toBe('succeeded')
  }, 30_000)
})
