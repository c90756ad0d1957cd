import { z } from 'zod'

/** The payments part of the subscriptions module's environment. */
export const paymentsSettings = {
  /** `dev` confirms every payment at once (the embedded default); `stripe` sends buyers to Stripe Checkout. */
  PAYMENTS_PROVIDER: z.enum(['dev', 'stripe'], { error: 'dev or stripe' }).default('dev'),
  /** Stripe's secret API key (`sk_live_…`, `sk_test_…`, or a restricted `rk_…`). */
  STRIPE_SECRET_KEY: z.string().regex(/^(sk|rk)_(live|test)_\w+$/, 'a Stripe secret key (sk_live_…, sk_test_…)').optional(),
  /** The signing secret of the webhook endpoint (`whsec_…`), from Stripe's dashboard or `stripe listen`. */
  STRIPE_WEBHOOK_SECRET: z.string().regex(/^whsec_\w+$/, 'a webhook signing secret (whsec_…)').optional(),
  /** Where Stripe's API is: only stripe-mock or a stand-in ever changes it. */
  STRIPE_API_URL: z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).default('https://api.stripe.com'),
  /** Where Stripe Checkout sends the buyer back to, with `?payment_id=…&checkout=success|canceled`. */
  PAYMENTS_RETURN_URL: z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).default('http://localhost:3000/'),
  NODE_ENV: z.string().optional(),
}

type PaymentsEnvironment = z.infer<z.ZodObject<typeof paymentsSettings>>

/**
 * What the variables cannot say one by one: the dev provider, which confirms payments nobody
 * made, is refused in production, and Stripe needs both of its secrets.
 */
export function checkPaymentsSettings(settings: PaymentsEnvironment, ctx: z.RefinementCtx<unknown>): void {
  if (settings.PAYMENTS_PROVIDER === 'dev' && settings.NODE_ENV === 'production') {
    ctx.addIssue({ code: 'custom', path: ['PAYMENTS_PROVIDER'], message: 'stripe when NODE_ENV=production (dev confirms payments nobody made)' })
  }
  if (settings.PAYMENTS_PROVIDER !== 'stripe') return
  for (const variable of ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'] as const) {
    if (settings[variable] === undefined) ctx.addIssue({ code: 'custom', path: [variable], message: 'a value when PAYMENTS_PROVIDER=stripe' })
  }
}
