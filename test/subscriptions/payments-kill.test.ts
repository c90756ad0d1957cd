/**
 * Proof (issue 11): kill -9 of the process between a payment's confirmation and its event. The
 * app runs as a real process; Stripe's deliveries flood in until it is frozen (SIGSTOP) with a
 * webhook transaction that has confirmed a payment and written its donation but not yet its
 * event, and killed there. After the restart and Stripe's redeliveries, every payment is
 * fulfilled once and its event is in the outbox once, published.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import Redis from 'ioredis'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { subscriptions } from '../../src/modules/subscriptions/index.ts'
import { loadOrCreateSigningKeys } from '../../src/platform/auth/keys.ts'
import { createAccessTokenSigner } from '../../src/platform/auth/tokens.ts'
import { createDatabaseFromTemplate } from '../../src/platform/testing/databases.ts'
import { deliver as deliverEvent } from '../../src/platform/testing/events.ts'
import { startPrivateRedis, type PrivateRedis } from '../../src/platform/testing/private-redis.ts'
import { freePort, startApp, type AppProcess } from '../../src/platform/testing/processes.ts'
import { signatureOf, stripeEvents, stripeSettings, stripeStandIn } from './payments-stripe.ts'

const PAYMENTS = 40
const STREAM_PREFIX = 'ondes:payments-kill'

const cleanups: (() => unknown)[] = []
let stripe: ReturnType<typeof stripeStandIn>
let redis: PrivateRedis
let sql: postgres.Sql
let env: Record<string, string>
let app: AppProcess | undefined

const start = async () => {
  const started = startApp(env)
  await started.waitUntilReady()
  return started
}
const kill = async (process: AppProcess) => {
  process.child.kill('SIGCONT')
  process.child.kill('SIGKILL')
  await process.exited
}

beforeAll(async () => {
  stripe = stripeStandIn()
  cleanups.push(() => stripe.stop())
  redis = await startPrivateRedis()
  cleanups.push(() => redis.stop())
  const database = await createDatabaseFromTemplate('subscriptions', subscriptions.migrations)
  cleanups.push(() => database.drop())
  sql = postgres(database.url, { max: 2, onnotice: () => {} })
  cleanups.push(() => sql.end())
  const dataDir = mkdtempSync(join(tmpdir(), 'ondes-payments-kill-'))
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
  env = {
    HOST: '127.0.0.1',
    PORT: String(freePort()),
    DATA_DIR: dataDir,
    // Subscriptions alone, its events over Redis, as one module of a split installation.
    MODULES: 'subscriptions',
    SUBSCRIPTIONS_DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    EVENTS_STREAM_PREFIX: STREAM_PREFIX,
    LOG_LEVEL: 'warn',
    ...stripeSettings(stripe.url),
  }
  // The channel, as users' registration reaches subscriptions.
  const registered = { user_id: '1000', login: 'channel', display_name: 'Channel', created_at: new Date().toISOString(), version: 1 }
  await deliverEvent({ databaseUrls: { subscriptions: database.url } }, subscriptions, 'users.registered.v1', registered)
  app = await start()
  cleanups.push(() => app && kill(app))
}, 60_000)

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
}, 60_000)

const deliver = async (event: object) => {
  const payload = JSON.stringify(event)
  const res = await fetch(`${app!.baseUrl}/api/subscriptions/webhooks/stripe`, {
    method: 'POST',
    body: payload,
    headers: { 'content-type': 'application/json', 'stripe-signature': await signatureOf(payload) },
  })
  if (res.status !== 200) throw new Error(`delivery answered ${res.status}: ${await res.text()}`)
}

/** The books after any crash: a confirmed payment has its donation and its event, nothing else has either. */
const books = async () => {
  const [row] = await sql<{ succeeded: number; pending: number; donations: number; events: number; distinct_events: number; unpublished: number }[]>`
    select (select count(*)::int from payments where status = 'succeeded') as succeeded,
      (select count(*)::int from payments where status = 'pending') as pending,
      (select count(*)::int from donations) as donations,
      (select count(*)::int from outbox where type = 'subscriptions.donation_received.v1') as events,
      (select count(distinct payload->>'donation_id')::int from outbox where type = 'subscriptions.donation_received.v1') as distinct_events,
      (select count(*)::int from outbox where published_at is null) as unpublished`
  return row!
}

/** Webhook transactions, held still by the freeze, that wrote a donation and not yet its event. */
const confirmedWithoutEvent = async () => {
  const [row] = await sql<{ n: number }[]>`
    select count(distinct a.pid)::int as n from pg_stat_activity a
    join pg_locks l on l.pid = a.pid and l.relation = 'donations'::regclass and l.mode = 'RowExclusiveLock'
    where a.datname = current_database() and a.state = 'idle in transaction'
      and not exists (select 1 from pg_locks o where o.pid = a.pid and o.relation = 'outbox'::regclass and o.mode = 'RowExclusiveLock')`
  return row!.n
}

test(
  'kill -9 between confirmation and event, restart, redeliver: each payment fulfilled once, its event once and published',
  async () => {
    const keys = await loadOrCreateSigningKeys(env.DATA_DIR!)
    const sign = await createAccessTokenSigner(keys.privateKey, { issuer: 'ondes', audience: 'ondes', ttlSeconds: 300 })
    const token = await sign({ userId: '1001', login: 'donor', roles: [], sessionId: crypto.randomUUID() })
    for (let i = 0; i < PAYMENTS; i++) {
      const res = await fetch(`${app!.baseUrl}/api/subscriptions/donations?broadcaster_id=1000`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ amount: 100 + i, currency: 'USD', message: `tip ${i}` }),
      })
      expect(res.status).toBe(201)
    }
    expect(stripe.sessions.length).toBe(PAYMENTS)
    // What Stripe sends about each: the session's completion and its PaymentIntent's success.
    const events = stripe.sessions.flatMap((s) => [stripeEvents.completed(s), stripeEvents.intentSucceeded(s)])

    // The flood, until the kill; deliveries the kill cuts off fail, which is all they may do.
    let killed = false
    const queue = [...events]
    const flood = Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let event = queue.shift(); event && !killed; event = queue.shift()) {
          await deliver(event).catch((error: unknown) => {
            if (!killed) throw error
          })
        }
      }),
    )
    const deadline = Date.now() + 30_000
    let caught = false
    while (!caught && Date.now() < deadline && queue.length > 0) {
      await Bun.sleep(Math.random() * 5)
      app!.child.kill('SIGSTOP')
      caught = (await confirmedWithoutEvent()) > 0
      if (!caught) app!.child.kill('SIGCONT')
    }
    expect(caught).toBe(true)
    killed = true
    await kill(app!)
    app = undefined
    await flood

    // Postgres rolled the cut-off transaction back whole: no confirmation without its donation and event.
    let after = await books()
    expect(after.pending).toBeGreaterThan(0)
    expect([after.donations, after.events, after.distinct_events]).toEqual([after.succeeded, after.succeeded, after.succeeded])

    // Stripe retries every delivery it got no 2xx for; all of them again, as it may.
    app = await start()
    for (const event of events) await deliver(event)
    const settled = Date.now() + 30_000
    while ((await books()).unpublished > 0 && Date.now() < settled) await Bun.sleep(100)

    after = await books()
    expect(after).toEqual({ succeeded: PAYMENTS, pending: 0, donations: PAYMENTS, events: PAYMENTS, distinct_events: PAYMENTS, unpublished: 0 })
    const [recorded] = await sql<{ n: number }[]>`select count(*)::int as n from stripe_webhook_events`
    expect(recorded!.n).toBe(events.length)

    // Every event reached the bus (a relay cut off between its XADD and its mark may send one again: consumers' inboxes drop it).
    const bus = new Redis(redis.url)
    try {
      const entries = await bus.xrange(`${STREAM_PREFIX}:subscriptions.donation_received.v1`, '-', '+')
      const onBus = new Set(entries.map(([, fields]) => (JSON.parse(fields[fields.indexOf('event') + 1]!) as { id: string }).id))
      const outbox = await sql<{ event_id: string }[]>`select event_id from outbox where type = 'subscriptions.donation_received.v1'`
      expect([...onBus].sort()).toEqual(outbox.map((row) => row.event_id).sort())
    } finally {
      bus.disconnect()
    }
  },
  120_000,
)
