/**
 * Stripe for the payments tests, which cannot reach it: a loopback stand-in for the calls the
 * app makes, answered as Stripe's API reference says (Checkout Sessions in payment and setup
 * mode, customers, off-session PaymentIntents and their 402 card errors, SetupIntents, refunds;
 * Idempotency-Key replays the first answer,
 * or a 400 `idempotency_error` when the parameters differ), and events about what it made,
 * signed by the official package's own test-header helper with the endpoint's secret.
 */
import Stripe from 'stripe'
import type { Clock } from '../../src/platform/clock.ts'
import { createTestPlatform, type TestPlatform } from '../../src/platform/testing/harness.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { register, SUBSCRIBERS_ENV, SUBSCRIBERS_MODULES } from './subscribers.ts'

export const WEBHOOK_SECRET = 'whsec_ondes_payments_test'
export const SECRET_KEY = 'sk_test_ondes_payments'

/** A payment as Stripe holds it: what its events carry. */
export type StandInPaid = {
  paymentId: string
  amount: number
  currency: string
  paymentIntent: string
  /** The customer Checkout made (or was given) and the card it saved; null when it saved none. */
  customer: string | null
  paymentMethod: string
  metadata: Record<string, string>
}

/** A Checkout Session as the stand-in made it, with what the app asked for. */
export type StandInSession = StandInPaid & { id: string; form: URLSearchParams; idempotencyKey: string | null }

/** An off-session PaymentIntent the app created (a renewal): its status as the stand-in answered it, then as a test settles it. */
export type StandInIntent = StandInPaid & { status: 'succeeded' | 'processing' | 'requires_payment_method'; form: URLSearchParams; idempotencyKey: string }

/** A Checkout Session in setup mode: the card it saves on `customer` (null: none given, so attached to nobody), by its SetupIntent. */
export type StandInSetup = {
  id: string
  setupId: string
  setupIntent: string
  customer: string | null
  paymentMethod: string
  /** The SetupIntent's (`setup_intent_data[metadata]`). */
  metadata: Record<string, string>
  sessionMetadata: Record<string, string>
  form: URLSearchParams
  idempotencyKey: string | null
}

/** A customer the app made, with what it asked for. */
export type StandInCustomer = { id: string; form: URLSearchParams; idempotencyKey: string | null }

/** A refund the app asked for. */
export type StandInRefund = { id: string; paymentIntent: string; amount: number; form: URLSearchParams; idempotencyKey: string | null }

/** How the stand-in's cards answer an off-session charge, by payment method (`ok` unless set). */
export type CardBehaviour = 'ok' | 'declined' | 'processing'

const stripeError = (status: number, error: Record<string, unknown>) => Response.json({ error }, { status })
const unique = (prefix: string, n: number) => `${prefix}_test_${n}_${crypto.randomUUID().slice(0, 8)}`

/**
 * The stand-in of Stripe's API at `url`: `state.down` answers every call as an outage,
 * `state.loseAnswers` makes that many answers (made, and kept for their key) never arrive, as
 * a network that drops them; `cards` says how a saved card answers a charge; `asked` counts the
 * requests per key, `claimKey` takes a key with other parameters.
 */
export function stripeStandIn() {
  const sessions: StandInSession[] = []
  const setups: StandInSetup[] = []
  const customers: StandInCustomer[] = []
  const intents: StandInIntent[] = []
  const refunds: StandInRefund[] = []
  const cards = new Map<string, CardBehaviour>()
  const state = { down: false, loseAnswers: 0 }
  /** Stripe's idempotency store: the first answer per key, and the parameters it was for. */
  const replays = new Map<string, { body: string; status: number; params: string }>()
  /** How many requests came under each Idempotency-Key (the client's retries, the app's next runs). */
  const asked = new Map<string, number>()
  /** The key taken at `path` by a request with other parameters (another of the account's): Stripe refuses it for good. */
  const claimKey = (path: string, idempotencyKey: string) => replays.set(`POST ${path} ${idempotencyKey}`, { body: '{}', status: 200, params: 'claimed' })
  let made = 0

  const paidBy = (paymentIntent: string): StandInPaid | undefined =>
    sessions.find((s) => s.paymentIntent === paymentIntent) ?? intents.find((i) => i.paymentIntent === paymentIntent)

  const intentView = (paid: StandInPaid, status: string, extra: Record<string, unknown> = {}) => ({
    id: paid.paymentIntent,
    object: 'payment_intent',
    amount: paid.amount,
    amount_received: status === 'succeeded' ? paid.amount : 0,
    currency: paid.currency,
    customer: paid.customer,
    payment_method: paid.paymentMethod,
    status,
    metadata: paid.metadata,
    livemode: false,
    ...extra,
  })

  const metadataOf = (form: URLSearchParams, prefix = 'metadata') =>
    Object.fromEntries([...form].filter(([k]) => k.startsWith(`${prefix}[`)).map(([k, v]) => [k.slice(prefix.length + 1, -1), v]))

  /** A setup-mode session: the card is made now, saved on the customer given once the buyer completes it. */
  const createSetup = (form: URLSearchParams, idempotencyKey: string | null) => {
    const n = ++made
    const setup: StandInSetup = {
      id: unique('cs', n),
      setupId: form.get('client_reference_id') ?? '',
      setupIntent: unique('seti', n),
      customer: form.get('customer'),
      paymentMethod: unique('pm', n),
      metadata: metadataOf(form, 'setup_intent_data[metadata]'),
      sessionMetadata: metadataOf(form),
      form,
      idempotencyKey,
    }
    setups.push(setup)
    return Response.json({
      id: setup.id,
      object: 'checkout.session',
      mode: 'setup',
      status: 'open',
      payment_status: 'no_payment_required',
      client_reference_id: setup.setupId,
      customer: setup.customer,
      metadata: setup.sessionMetadata,
      amount_total: null,
      currency: form.get('currency'),
      payment_intent: null,
      setup_intent: setup.setupIntent,
      url: `https://checkout.stripe.com/c/pay/${setup.id}`,
    })
  }

  const setupIntentView = (setup: StandInSetup) => ({
    id: setup.setupIntent,
    object: 'setup_intent',
    status: 'succeeded',
    usage: 'off_session',
    customer: setup.customer,
    payment_method: setup.paymentMethod,
    metadata: setup.metadata,
    livemode: false,
  })

  const createCustomer = (form: URLSearchParams, idempotencyKey: string | null) => {
    const customer: StandInCustomer = { id: unique('cus', ++made), form, idempotencyKey }
    customers.push(customer)
    return Response.json({ id: customer.id, object: 'customer', metadata: metadataOf(form), livemode: false })
  }

  const createSession = (form: URLSearchParams, idempotencyKey: string | null) => {
    if (form.get('mode') === 'setup') return createSetup(form, idempotencyKey)
    const n = ++made
    const saves = form.get('payment_intent_data[setup_future_usage]') === 'off_session'
    const customer = form.get('customer') ?? (form.get('customer_creation') === 'always' ? unique('cus', n) : null)
    const session: StandInSession = {
      id: unique('cs', n),
      paymentId: form.get('client_reference_id') ?? '',
      amount: Number(form.get('line_items[0][price_data][unit_amount]')),
      currency: form.get('line_items[0][price_data][currency]') ?? '',
      paymentIntent: unique('pi', n),
      // Attached to the customer only when the session saves it for later.
      customer: saves ? customer : null,
      paymentMethod: unique('pm', n),
      metadata: metadataOf(form, 'payment_intent_data[metadata]'),
      form,
      idempotencyKey,
    }
    sessions.push(session)
    return Response.json({
      id: session.id,
      object: 'checkout.session',
      mode: 'payment',
      status: 'open',
      payment_status: 'unpaid',
      client_reference_id: session.paymentId,
      customer: form.get('customer'),
      customer_creation: form.get('customer_creation'),
      metadata: metadataOf(form),
      amount_total: session.amount,
      currency: session.currency,
      payment_intent: null,
      url: `https://checkout.stripe.com/c/pay/${session.id}`,
    })
  }

  /** `POST /v1/payment_intents` with `confirm` and `off_session`: the card answers at once. */
  const createIntent = (form: URLSearchParams, idempotencyKey: string) => {
    const paymentMethod = form.get('payment_method') ?? ''
    const saved = [...sessions, ...setups].find((s) => s.paymentMethod === paymentMethod && s.customer !== null)
    if (!saved || saved.customer !== form.get('customer')) {
      return stripeError(400, { type: 'invalid_request_error', code: 'resource_missing', param: 'payment_method', message: `No such PaymentMethod: '${paymentMethod}'` })
    }
    if (form.get('confirm') !== 'true' || form.get('off_session') !== 'true') {
      return stripeError(400, { type: 'invalid_request_error', message: 'the stand-in makes only confirmed off-session PaymentIntents' })
    }
    const n = ++made
    const behaviour = cards.get(paymentMethod) ?? 'ok'
    const status = behaviour === 'ok' ? 'succeeded' : behaviour === 'processing' ? 'processing' : 'requires_payment_method'
    const metadata = metadataOf(form)
    const intent: StandInIntent = {
      paymentId: metadata.payment_id ?? '',
      amount: Number(form.get('amount')),
      currency: form.get('currency') ?? '',
      paymentIntent: unique('pi', n),
      customer: saved.customer,
      paymentMethod,
      metadata,
      status,
      form,
      idempotencyKey,
    }
    intents.push(intent)
    if (status !== 'requires_payment_method') return Response.json(intentView(intent, status, { latest_charge: `ch_${intent.paymentIntent}` }))
    const lastError = { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' }
    return stripeError(402, {
      ...lastError,
      charge: `ch_${intent.paymentIntent}`,
      payment_intent: intentView(intent, status, { last_payment_error: lastError }),
      payment_method: { id: paymentMethod, object: 'payment_method', type: 'card' },
    })
  }

  /** `POST /v1/refunds` of (part of) a PaymentIntent's charge: never more than what is left. */
  const createRefund = (form: URLSearchParams, idempotencyKey: string | null) => {
    const paid = paidBy(form.get('payment_intent') ?? '')
    if (!paid) return stripeError(400, { type: 'invalid_request_error', code: 'resource_missing', param: 'payment_intent', message: 'No such payment_intent' })
    const already = refunds.filter((r) => r.paymentIntent === paid.paymentIntent).reduce((sum, r) => sum + r.amount, 0)
    const amount = Number(form.get('amount') ?? paid.amount - already)
    if (!Number.isInteger(amount) || amount < 1 || already + amount > paid.amount) {
      return stripeError(400, { type: 'invalid_request_error', code: 'amount_too_large', param: 'amount', message: `Refund amount (${amount}) is greater than unrefunded amount on charge (${paid.amount - already})` })
    }
    const refund: StandInRefund = { id: unique('re', ++made), paymentIntent: paid.paymentIntent, amount, form, idempotencyKey }
    refunds.push(refund)
    return Response.json({
      id: refund.id,
      object: 'refund',
      amount,
      charge: `ch_${paid.paymentIntent}`,
      currency: paid.currency,
      payment_intent: paid.paymentIntent,
      metadata: metadataOf(form),
      status: 'succeeded',
    })
  }

  const route = async (req: Request, url: URL, form: URLSearchParams, idempotencyKey: string | null): Promise<Response> => {
    if (req.method === 'GET' && url.pathname.startsWith('/v1/payment_intents/')) {
      const id = url.pathname.slice('/v1/payment_intents/'.length)
      const renewal = intents.find((i) => i.paymentIntent === id)
      const paid = renewal ?? paidBy(id)
      if (!paid) return stripeError(404, { type: 'invalid_request_error', code: 'resource_missing', message: 'No such payment_intent' })
      // As it is now: a renewal's status may have moved since its answer (a test settles it).
      return Response.json(intentView(paid, renewal?.status ?? 'succeeded'))
    }
    if (req.method === 'GET' && url.pathname.startsWith('/v1/setup_intents/')) {
      const setup = setups.find((s) => s.setupIntent === url.pathname.slice('/v1/setup_intents/'.length))
      if (!setup) return stripeError(404, { type: 'invalid_request_error', code: 'resource_missing', message: 'No such setupintent' })
      return Response.json(setupIntentView(setup))
    }
    if (req.method !== 'POST') return stripeError(404, { type: 'invalid_request_error', message: `no ${url.pathname} here` })
    if (url.pathname === '/v1/checkout/sessions') return createSession(form, idempotencyKey)
    if (url.pathname === '/v1/customers') return createCustomer(form, idempotencyKey)
    if (url.pathname === '/v1/payment_intents') {
      if (!idempotencyKey) return stripeError(400, { type: 'invalid_request_error', message: 'the stand-in wants an Idempotency-Key on charges' })
      return createIntent(form, idempotencyKey)
    }
    if (url.pathname === '/v1/refunds') return createRefund(form, idempotencyKey)
    return stripeError(404, { type: 'invalid_request_error', message: `no ${url.pathname} here` })
  }

  const answer = async (req: Request): Promise<Response> => {
    if (state.down) return stripeError(503, { type: 'api_error', message: 'down' })
    const url = new URL(req.url)
    const text = await req.text()
    const idempotencyKey = req.headers.get('idempotency-key')
    if (idempotencyKey) asked.set(idempotencyKey, (asked.get(idempotencyKey) ?? 0) + 1)
    const stored = idempotencyKey ? replays.get(`${req.method} ${url.pathname} ${idempotencyKey}`) : undefined
    if (stored) {
      if (stored.params !== text) {
        return stripeError(400, { type: 'idempotency_error', message: 'Keys for idempotent requests can only be used with the same parameters they were first used with.' })
      }
      return new Response(stored.body, { status: stored.status, headers: { 'content-type': 'application/json', 'idempotent-replayed': 'true' } })
    }
    const answered = await route(req, url, new URLSearchParams(text), idempotencyKey)
    // Stripe keeps the result of a request that ran (made, or declined), not of one refused before.
    if (idempotencyKey && (answered.status === 200 || answered.status === 402)) {
      const body = await answered.clone().text()
      replays.set(`${req.method} ${url.pathname} ${idempotencyKey}`, { body, status: answered.status, params: text })
    }
    return answered
  }

  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      const answered = await answer(req)
      if (state.loseAnswers === 0) return answered
      state.loseAnswers--
      return stripeError(503, { type: 'api_error', message: 'the answer was lost' })
    },
  })

  return { url: `http://127.0.0.1:${server.port}`, sessions, setups, customers, intents, refunds, cards, state, asked, claimKey, stop: () => server.stop(true) }
}

/** The settings that make the app use Stripe, through the stand-in at `apiUrl`. */
export const stripeSettings = (apiUrl: string) => ({
  PAYMENTS_PROVIDER: 'stripe',
  STRIPE_SECRET_KEY: SECRET_KEY,
  STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
  STRIPE_API_URL: apiUrl,
})

/**
 * The subscribers' app (the renewals job every 20 ms on `clock`) paying through a fresh stand-in,
 * `users` registered with their tokens; `renewalIntents(user)` are the off-session PaymentIntents
 * it made for that user's renewals, oldest first.
 * @example
 * const world = await stripeSubscribers(movableClock(new Date()), ['500', '501'])
 */
export async function stripeSubscribers(clock: Clock, users: string[]) {
  const stripe = stripeStandIn()
  const t = await createTestPlatform(SUBSCRIBERS_MODULES, { ...SUBSCRIBERS_ENV, ...stripeSettings(stripe.url) }, { clock })
  const tokens: Record<string, string> = {}
  for (const id of users) {
    await register(t, id)
    tokens[id] = await accessTokenFor(t, id)
  }
  const renewalIntents = async (user: string): Promise<StandInIntent[]> => {
    const ids = (await t.sql.subscriptions!<{ id: string }[]>`select id from payments where purchaser_id = ${user} and details ? 'renewal'`).map((r) => r.id)
    return stripe.intents.filter((i) => ids.includes(i.paymentId))
  }
  const close = async () => {
    await t.close()
    await stripe.stop()
  }
  return { t, stripe, tokens, renewalIntents, close }
}

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

const intentObject = (p: StandInPaid, status: string) => ({
  id: p.paymentIntent,
  object: 'payment_intent',
  status,
  amount: p.amount,
  amount_received: status === 'succeeded' ? p.amount : 0,
  currency: p.currency,
  customer: p.customer,
  payment_method: p.paymentMethod,
  metadata: p.metadata,
})

/** Stripe's events about a session or a PaymentIntent, shaped as Stripe sends them (the fields the app reads, and their neighbours). */
export const stripeEvents = {
  completed: (s: StandInSession, paid = true) =>
    event('checkout.session.completed', {
      id: s.id,
      object: 'checkout.session',
      mode: 'payment',
      status: 'complete',
      payment_status: paid ? 'paid' : 'unpaid',
      client_reference_id: s.paymentId,
      customer: s.customer,
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
      customer: s.customer,
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
  intentSucceeded: (p: StandInPaid) => event('payment_intent.succeeded', intentObject(p, 'succeeded')),
  intentFailed: (p: StandInPaid) =>
    event('payment_intent.payment_failed', {
      ...intentObject(p, 'requires_payment_method'),
      last_payment_error: { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds' },
    }),
  /** `amountRefunded`: the charge's refunded total so far (all of it by default); `metadata: false`: a charge that carries none, found by its PaymentIntent alone. */
  refunded: (p: StandInPaid, options: { amountRefunded?: number; metadata?: boolean } = {}) => {
    const refunded = options.amountRefunded ?? p.amount
    return event('charge.refunded', {
      id: `ch_${p.paymentIntent}`,
      object: 'charge',
      amount: p.amount,
      amount_refunded: refunded,
      refunded: refunded === p.amount,
      currency: p.currency,
      payment_intent: p.paymentIntent,
      metadata: options.metadata === false ? {} : { payment_id: p.paymentId },
    })
  },
  /** A setup-mode session completed: it names the SetupIntent, not the card. */
  setupCompleted: (s: StandInSetup) =>
    event('checkout.session.completed', {
      id: s.id,
      object: 'checkout.session',
      mode: 'setup',
      status: 'complete',
      payment_status: 'no_payment_required',
      client_reference_id: s.setupId,
      customer: s.customer,
      metadata: s.sessionMetadata,
      amount_total: null,
      currency: null,
      payment_intent: null,
      setup_intent: s.setupIntent,
    }),
  setupExpired: (s: StandInSetup) =>
    event('checkout.session.expired', {
      id: s.id,
      object: 'checkout.session',
      mode: 'setup',
      status: 'expired',
      payment_status: 'no_payment_required',
      client_reference_id: s.setupId,
      metadata: s.sessionMetadata,
      setup_intent: s.setupIntent,
    }),
  setupSucceeded: (s: StandInSetup) =>
    event('setup_intent.succeeded', {
      id: s.setupIntent,
      object: 'setup_intent',
      status: 'succeeded',
      usage: 'off_session',
      customer: s.customer,
      payment_method: s.paymentMethod,
      metadata: s.metadata,
    }),
  other: (type: string, object: Record<string, unknown>) => event(type, object),
}

/** The `Stripe-Signature` Stripe would send with `payload`, by the package's helper (`secret`: another endpoint's to forge). */
export const signatureOf = (payload: string, options: { secret?: string; timestamp?: number } = {}) =>
  Stripe.webhooks.generateTestHeaderStringAsync({ payload, secret: options.secret ?? WEBHOOK_SECRET, timestamp: options.timestamp })

/**
 * Delivers `event` to the app's webhook signed as Stripe would; the outcome the app answered
 * (`applied`, `duplicate`, `ignored`), or the status when it was not a 200.
 */
export async function deliverSigned(t: TestPlatform, event: object): Promise<string> {
  const payload = JSON.stringify(event)
  const res = await t.request('/api/subscriptions/webhooks/stripe', {
    method: 'POST',
    body: payload,
    headers: { 'content-type': 'application/json', 'stripe-signature': await signatureOf(payload) },
  })
  if (res.status !== 200) return String(res.status)
  return ((await res.json()) as { outcome: string }).outcome
}
