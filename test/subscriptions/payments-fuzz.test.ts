/**
 * The webhook and the donation route under random input (issue 11, "Bad input"): bad and
 * missing signatures, signed nonsense, bad amounts, unknown currencies. Never a 5xx, and a
 * refused request writes nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { harmOf } from '../../src/platform/testing/harm.ts'
import type { TestPlatform } from '../../src/platform/testing/harness.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { subscriptionsPlatform } from './channel-points.ts'
import { register } from './subscribers.ts'
import { signatureOf, stripeSettings, stripeStandIn } from './payments-stripe.ts'

let t: TestPlatform
let stripe: ReturnType<typeof stripeStandIn>
let fan = ''
let paymentId = ''

beforeAll(async () => {
  stripe = stripeStandIn()
  t = await subscriptionsPlatform({ ...stripeSettings(stripe.url) })
  fan = await accessTokenFor(t, '901')
  await register(t, '900')
  const res = await t.request('/api/subscriptions/donations?broadcaster_id=900', { method: 'POST', token: fan, json: { amount: 500, currency: 'USD' } })
  paymentId = ((await res.json()) as { data: { payment_id: string }[] }).data[0]!.payment_id
}, 30_000)
afterAll(async () => {
  await t.close()
  await stripe.stop()
}, 30_000)

const jsonValue = fc.jsonValue({ maxDepth: 3 })
const anything = fc.oneof(jsonValue, fc.string({ maxLength: 40 }), fc.constantFrom('a\u0000b', '', 'pi_\u202e', "x' or 1=1"))
/** Shaped like the events the webhook reads, with every field it reads possibly wrong. */
const eventLike = fc.record(
  {
    id: fc.oneof(fc.constantFrom('evt_1', 'evt_fuzz'), anything),
    object: fc.constant('event'),
    type: fc.oneof(
      fc.constantFrom(
        'checkout.session.completed',
        'checkout.session.async_payment_succeeded',
        'checkout.session.async_payment_failed',
        'checkout.session.expired',
        'payment_intent.succeeded',
        'payment_intent.payment_failed',
        'charge.refunded',
        'customer.created',
      ),
      anything,
    ),
    data: fc.oneof(
      fc.record(
        {
          object: fc.oneof(
            fc.record(
              {
                id: anything,
                client_reference_id: fc.oneof(fc.constant('PAYMENT'), fc.uuid(), anything),
                metadata: fc.oneof(
                  fc.record({ payment_id: fc.oneof(fc.constant('PAYMENT'), fc.uuid(), anything), off_session: fc.oneof(fc.constant('true'), anything) }, { requiredKeys: [] }),
                  anything,
                ),
                payment_status: fc.oneof(fc.constantFrom('paid', 'unpaid'), anything),
                amount_total: fc.oneof(fc.constantFrom(500, 499), anything),
                amount_received: fc.oneof(fc.constant(500), anything),
                currency: fc.oneof(fc.constantFrom('usd', 'eur'), anything),
                payment_intent: fc.oneof(fc.constant('pi_fuzz'), fc.record({ id: anything }), anything),
                refunded: fc.oneof(fc.boolean(), anything),
                amount: fc.oneof(fc.constant(500), anything),
                amount_refunded: fc.oneof(fc.constantFrom(1, 250, 500, 501), anything),
                customer: fc.oneof(fc.constant('cus_fuzz'), fc.record({ id: anything }), anything),
                payment_method: fc.oneof(fc.constant('pm_fuzz'), anything),
              },
              { requiredKeys: [] },
            ),
            anything,
          ),
        },
        { requiredKeys: [] },
      ),
      anything,
    ),
  },
  { requiredKeys: [] },
)
const payload = fc.oneof(
  eventLike.map((event) => JSON.stringify(event)),
  jsonValue.map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 200 }),
  fc.constant(''),
)
const contentTypes = fc.constantFrom('application/json', 'text/plain', undefined)
type Signing = 'none' | 'garbage' | 'other secret' | 'other body' | 'stale' | 'valid'
const signing = fc.constantFrom<Signing>('none', 'garbage', 'other secret', 'other body', 'stale', 'valid')

async function signatureFor(how: Signing, body: string, garbage: string): Promise<string | undefined> {
  switch (how) {
    case 'none':
      return undefined
    case 'garbage':
      return garbage
    case 'other secret':
      return signatureOf(body, { secret: 'whsec_not_this_endpoint' })
    case 'other body':
      return signatureOf(`${body} `)
    case 'stale':
      return signatureOf(body, { timestamp: Math.floor(Date.now() / 1000) - 3600 })
    case 'valid':
      return signatureOf(body)
  }
}

describe('payments routes under random input', () => {
  test(
    'the Stripe webhook: never a 5xx; unsigned, forged or stale deliveries are 400s that write nothing',
    async () => {
      await fc.assert(
        fc.asyncProperty(payload, signing, fc.string({ maxLength: 80 }), contentTypes, async (raw, how, garbage, contentType) => {
          const body = raw.replaceAll('PAYMENT', paymentId)
          const signature = await signatureFor(how, body, garbage)
          const headers: Record<string, string> = {}
          if (contentType) headers['content-type'] = contentType
          // A header value fetch refuses to send is no request at all.
          if (signature !== undefined && /^[\t\x20-\x7e]*$/.test(signature)) headers['stripe-signature'] = signature
          const path = '/api/subscriptions/webhooks/stripe'
          const res = await t.request(path, { method: 'POST', headers, body })
          expect(res.status, `${how}: ${body}`).toBeLessThan(500)
          if (how !== 'valid') expect(res.status).toBe(400)
          expect(await harmOf(t, t.sql.subscriptions!, path, { method: 'POST', headers, body })).toBeUndefined()
        }),
        { numRuns: 300 },
      )
    },
    120_000,
  )

  const amount = fc.oneof(fc.integer({ min: -5, max: 2_000_000 }), fc.double(), fc.constantFrom(0, 99, 100, 1e309, 2 ** 63), jsonValue)
  const donation = fc.record(
    {
      amount,
      currency: fc.oneof(fc.constantFrom('USD', 'JPY', 'usd', 'XYZ', 'EURO', ''), jsonValue),
      message: fc.oneof(fc.string({ maxLength: 520 }), fc.constantFrom('a\u0000b', '\u202e', 'line\nbreak', 'x'.repeat(501)), jsonValue),
      is_anonymous: fc.oneof(fc.boolean(), jsonValue),
    },
    { requiredKeys: [] },
  )
  const id = fc.oneof(fc.constantFrom('900', '0', '-1', '1e3', '9223372036854775808', '%00'), fc.string({ maxLength: 20 }).map(encodeURIComponent))

  test(
    'the donation and payment routes: never a 5xx, and a refused donation writes nothing',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('POST', 'GET', 'GET leaderboard', 'GET payment'),
          id,
          fc.oneof(donation.map((value) => JSON.stringify(value)), jsonValue.map((value) => JSON.stringify(value)), fc.string({ maxLength: 100 })),
          fc.option(fc.string({ maxLength: 300 }), { nil: undefined }),
          fc.record({
            first: fc.option(id),
            after: fc.option(id),
            period: fc.option(fc.constantFrom('day', 'all', 'decade', '')),
            started_at: fc.option(fc.constantFrom('2026-12-01T00:00:00Z', '0000-01-01T00:00:00Z', '275760-09-13T00:00:00Z', 'yesterday')),
            currency: fc.option(fc.constantFrom('USD', 'XYZ')),
          }),
          async (route, broadcaster, body, key, query) => {
            const headers: Record<string, string> = { authorization: `Bearer ${fan}`, 'content-type': 'application/json' }
            if (key !== undefined && /^[\t\x20-\x7e]*$/.test(key)) headers['idempotency-key'] = key
            const params = Object.entries({ broadcaster_id: broadcaster, ...query })
              .filter(([, value]) => value !== null)
              .map(([name, value]) => `${name}=${value}`)
              .join('&')
            const path = {
              POST: `/api/subscriptions/donations?${params}`,
              GET: `/api/subscriptions/donations?${params}`,
              'GET leaderboard': `/api/subscriptions/donations/leaderboard?${params}`,
              'GET payment': `/api/subscriptions/payments?id=${broadcaster}`,
            }[route]
            const method = route === 'POST' ? 'POST' : 'GET'
            expect(await harmOf(t, t.sql.subscriptions!, path, { method, headers, body: method === 'POST' ? body : undefined })).toBeUndefined()
          },
        ),
        { numRuns: 400 },
      )
    },
    120_000,
  )
})
