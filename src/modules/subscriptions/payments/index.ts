import type { MiddlewareHandler } from 'hono'
import type { Logger } from 'pino'
import type { ModuleDatabase } from '../../../platform/db/database.ts'
import type { AppEnv } from '../../../platform/http/env.ts'
import type { Job } from '../../../platform/jobs/job.ts'
import { createRouter } from '../../../platform/http/router.ts'
import type { SubscriptionsSettings } from '../environment.ts'
import type { Charge, Checkout, Fulfilments } from '../purchases.ts'
import { devCharge, stripeCharge } from './charge.ts'
import { devCheckout, stripeCheckout } from './checkout.ts'
import { createDonations, donationFulfilment } from './donations.ts'
import { donationRoutes } from './donations.routes.ts'
import { createPaymentLedger } from './payments.ts'
import { paymentRoutes } from './payments.routes.ts'
import { devRefunder, stripeRefunder } from './refunds.ts'
import { stripeClient } from './stripe-client.ts'
import { pruneWebhookEvents, stripeWebhook } from './webhook.ts'
import { webhookRoutes } from './webhook.routes.ts'

export { pay, paymentAnswer, PaymentView, type PaymentAnswer } from './pay.ts'

type PaymentsContext = {
  settings: SubscriptionsSettings
  database: ModuleDatabase
  log: Logger
  authenticated: MiddlewareHandler<AppEnv>
  /** What the module's other parts sell (subscriptions, gifts); donations are this part's own. */
  fulfilments: Omit<Fulfilments, 'donation'>
}

/**
 * Payments and donations: the `Checkout` of the configured provider (for every paid action of
 * the module) and its off-session `Charge` (for renewals), Stripe's webhook, and the donation routes.
 * @example
 * const payments = createPayments({ settings, database, log, authenticated, fulfilments: { subscription, gift } })
 * routes.route('/', payments.routes); jobs.push(...payments.jobs); sell(payments.checkout)
 */
export function createPayments(context: PaymentsContext): { checkout: Checkout; charge: Charge; routes: ReturnType<typeof createRouter>; jobs: Job[] } {
  const { settings, database, log, authenticated } = context
  const fulfilments = { ...context.fulfilments, donation: donationFulfilment }
  // The settings refuse `stripe` without its secret key.
  const stripe = settings.PAYMENTS_PROVIDER === 'stripe' ? stripeClient(settings.STRIPE_SECRET_KEY!, settings.STRIPE_API_URL) : undefined
  const ledger = createPaymentLedger(fulfilments, stripe ? stripeRefunder(stripe, log) : devRefunder)
  const checkout = stripe ? stripeCheckout(database, ledger, stripe, { returnUrl: settings.PAYMENTS_RETURN_URL, log }) : devCheckout(database, ledger)
  const charge = stripe ? stripeCharge(ledger, stripe, log) : devCharge(ledger)
  // Mounted whatever the provider, so the API is one document: without a secret it takes nothing.
  const webhook = stripeWebhook(database, ledger, { secret: settings.STRIPE_WEBHOOK_SECRET, log })
  const routes = createRouter()
    .route('/', webhookRoutes(webhook, authenticated))
    .route('/', paymentRoutes(database, authenticated))
    .route('/', donationRoutes({ database, checkout, donations: createDonations(database) }, authenticated))
  const jobs: Job[] = [{ name: 'stripe-webhook-events', everyMs: 3_600_000, singleton: true, run: async () => void (await pruneWebhookEvents(database)) }]
  return { checkout, charge, routes, jobs }
}
