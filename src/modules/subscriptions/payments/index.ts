import type { MiddlewareHandler } from 'hono'
import type { Logger } from 'pino'
import type { ModuleDatabase } from '../../../platform/db/database.ts'
import type { AppEnv } from '../../../platform/http/env.ts'
import type { Job } from '../../../platform/jobs/job.ts'
import { createRouter } from '../../../platform/http/router.ts'
import type { SubscriptionsSettings } from '../environment.ts'
import type { CardSetup, Charge, Checkout, Continuation, Fulfilments, SetupsStop } from '../purchases.ts'
import { devCharge, stripeCharge } from './charge.ts'
import { devCardSetup, devCheckout, stripeCardSetup, stripeCheckout } from './checkout.ts'
import { createDonations, donationFulfilment } from './donations.ts'
import { donationRoutes } from './donations.routes.ts'
import { createPaymentLedger } from './payments.ts'
import { paymentRoutes } from './payments.routes.ts'
import { devRefunder, stripeRefunder } from './refunds.ts'
import { createCardSetups } from './setups.ts'
import { stripeClient } from './stripe-client.ts'
import { pruneWebhookEvents, stripeWebhook } from './webhook.ts'
import { webhookRoutes } from './webhook.routes.ts'

export { CardSetupView, pay, paymentAnswer, PaymentView, type CardSetupAnswer, type PaymentAnswer } from './pay.ts'

type PaymentsContext = {
  settings: SubscriptionsSettings
  database: ModuleDatabase
  log: Logger
  authenticated: MiddlewareHandler<AppEnv>
  /** What the module's other parts sell (subscriptions, gifts); donations are this part's own. */
  fulfilments: Omit<Fulfilments, 'donation'>
  /** What continuing a subscription does once its card is saved (the subscriptions part's). */
  continuation: Continuation
}

/**
 * Payments and donations: the `Checkout` of the configured provider (for every paid action of
 * the module), its off-session `Charge` (for renewals) and `CardSetup` (a card saved for them
 * without a payment, stopped by a cancel: `stopSetups`), Stripe's webhook, and the donation routes.
 * @example
 * const payments = createPayments({ settings, database, log, authenticated, fulfilments: { subscription, gift }, continuation })
 * routes.route('/', payments.routes); jobs.push(...payments.jobs); sell(payments.checkout)
 */
export function createPayments(context: PaymentsContext): {
  checkout: Checkout
  charge: Charge
  cards: CardSetup
  stopSetups: SetupsStop
  routes: ReturnType<typeof createRouter>
  jobs: Job[]
} {
  const { settings, database, log, authenticated } = context
  const fulfilments = { ...context.fulfilments, donation: donationFulfilment }
  // The settings refuse `stripe` without its secret key.
  const stripe = settings.PAYMENTS_PROVIDER === 'stripe' ? stripeClient(settings.STRIPE_SECRET_KEY!, settings.STRIPE_API_URL) : undefined
  const ledger = createPaymentLedger(fulfilments, stripe ? stripeRefunder(stripe, log) : devRefunder)
  const setups = createCardSetups(context.continuation)
  const returning = { returnUrl: settings.PAYMENTS_RETURN_URL, log }
  const checkout = stripe ? stripeCheckout(database, ledger, stripe, returning) : devCheckout(database, ledger)
  const charge = stripe ? stripeCharge(ledger, stripe, log) : devCharge(ledger)
  const cards = stripe ? stripeCardSetup(ledger, setups, stripe, returning) : devCardSetup(ledger, setups)
  // Mounted whatever the provider, so the API is one document: without a secret it takes nothing.
  const webhook = stripeWebhook(database, ledger, setups, { secret: settings.STRIPE_WEBHOOK_SECRET, log })
  const routes = createRouter()
    .route('/', webhookRoutes(webhook, authenticated))
    .route('/', paymentRoutes(database, authenticated))
    .route('/', donationRoutes({ database, checkout, donations: createDonations(database) }, authenticated))
  const jobs: Job[] = [{ name: 'stripe-webhook-events', everyMs: 3_600_000, singleton: true, run: async () => void (await pruneWebhookEvents(database)) }]
  return { checkout, charge, cards, stopSetups: setups.stop, routes, jobs }
}
