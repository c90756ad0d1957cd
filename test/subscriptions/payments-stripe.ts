/**
 * Stripe for the payments tests, which cannot reach it: a loopback stand-in for the one call
 * the app makes (creating a Checkout Session, answered as Stripe does), and events about those
 * sessions signed by the official package's own test-header helper with the endpoint's secret.
 */
import Stripe from 'stripe'

export const WEBHOOK_SECRET = 'whsec_ondes_payments_test'
export const SECRET_KEY = 'sk_test_ondes_payments'

/** A Checkout Session as the stand-in made it, with what the app asked for. */
export type StandInSession = {
  id: string
  paymentId: string
  amount: number
  currency: string
  paymentIntent: string
  form: URLSearchParams
  idempotencyKey: string | null
}

/** The stand-in of `POST /v1/checkout/sessions`; `down` makes it answer as an outage. */
export function stripeStandIn() {
  const sessions: StandInSession[] = []
  const state = { down: false }
  let made = 0
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      const url = new URL(req.url)
      if (state.down) return Response.json({ error: { type: 'api_error', message: 'down' } }, { status: 503 })
      if (req.method !== 'POST' || url.pathname !== '/v1/checkout/sessions') {
        return Response.json({ error: { type: 'invalid_request_error', message: `no ${url.pathname} here` } }, { status: 404 })
      }
      const form = new URLSearchParams(await req.text())
      made++
      const session: StandInSession = {
        id: `cs_test_${made}_${crypto.randomUUID().slice(0, 8)}`,
        paymentId: form.get('client_reference_id') ?? '',
        amount: Number(form.get('line_items[0][price_data][unit_amount]')),
        currency: form.get('line_items[0][price_data][currency]') ?? '',
        paymentIntent: `pi_test_${made}_${crypto.randomUUID().slice(0, 8)}`,
        form,
        idempotencyKey: req.headers.get('idempotency-key'),
      }
      sessions.push(session)
      return Response.json({
        id: session.id,
        object: 'checkout.session',
        mode: 'payment',
        status: 'open',
        payment_status: 'unpaid',
        client_reference_id: session.paymentId,
        metadata: { payment_id: session.paymentId },
        amount_total: session.amount,
        currency: session.currency,
        payment_intent: null,
        url: `https://checkout.stripe.com/c/pay/${session.id}`,
      })
    },
  })
  return { url: `http://127.0.0.1:${server.port}`, sessions, state, stop: () => server.stop(true) }
}

/** The settings that make the app use Stripe, through the stand-in at `apiUrl`. */
export const stripeSettings = (apiUrl: string) => ({
  PAYMENTS_PROVIDER: 'stripe',
  STRIPE_SECRET_KEY: SECRET_KEY,
  STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
  STRIPE_API_URL: apiUrl,
})

let events = 0
const event = (type: string, object: Record<string, unknown>, id = `evt_test_${++events}_${crypto.randomUUID().slice(0, 8)}`) => ({
  id,
  object: 'event',
  api_version: '2025-08-27.basil',
  created: Math.floor(Date.now() / 1000),
  livemode: false,
  pending_webhooks: 1,
  request: { id: null, idempotency_key: null },
  type,
  data: { object },
})

/** Stripe's events about a session, shaped as Stripe sends them (the fields the app reads, and their neighbours). */
export const stripeEvents = {
  completed: (s: StandInSession, paid = true) =>
    event('checkout.session.completed', {
      id: s.id,
      object: 'checkout.session',
      mode: 'payment',
      status: 'complete',
      payment_status: paid ? 'paid' : 'unpaid',
      client_reference_id: s.paymentId,
      metadata: { payment_id: s.paymentId, kind: 'donation' },
      amount_total: s.amount,
      currency: s.currency,
      payment_intent: s.paymentIntent,
    }),
  asyncSucceeded: (s: StandInSession) =>
    event('checkout.session.async_payment_succeeded', {
      id: s.id,
      object: 'checkout.session',
      payment_status: 'paid',
      client_reference_id: s.paymentId,
      metadata: { payment_id: s.paymentId },
      amount_total: s.amount,
      currency: s.currency,
      payment_intent: s.paymentIntent,
    }),
  expired: (s: StandInSession) =>
    event('checkout.session.expired', {
      id: s.id,
      object: 'checkout.session',
      status: 'expired',
      payment_status: 'unpaid',
      client_reference_id: s.paymentId,
      metadata: { payment_id: s.paymentId },
    }),
  intentSucceeded: (s: StandInSession) =>
    event('payment_intent.succeeded', {
      id: s.paymentIntent,
      object: 'payment_intent',
      status: 'succeeded',
      amount: s.amount,
      amount_received: s.amount,
      currency: s.currency,
      metadata: { payment_id: s.paymentId, kind: 'donation' },
    }),
  /** `metadata: false`: a charge that carries no metadata, found by its PaymentIntent alone. */
  refunded: (s: StandInSession, options: { full?: boolean; metadata?: boolean } = {}) =>
    event('charge.refunded', {
      id: `ch_${s.paymentIntent}`,
      object: 'charge',
      amount: s.amount,
      amount_refunded: options.full === false ? 1 : s.amount,
      refunded: options.full !== false,
      currency: s.currency,
      payment_intent: s.paymentIntent,
      metadata: options.metadata === false ? {} : { payment_id: s.paymentId },
    }),
  other: (type: string, object: Record<string, unknown>) => event(type, object),
}

/** The `Stripe-Signature` Stripe would send with `payload`, by the package's helper (`secret`: another endpoint's to forge). */
export const signatureOf = (payload: string, options: { secret?: string; timestamp?: number } = {}) =>
  Stripe.webhooks.generateTestHeaderStringAsync({ payload, secret: options.secret ?? WEBHOOK_SECRET, timestamp: options.timestamp })
