/** The payments settings: the dev provider never runs in production, Stripe never without its secrets. */
import { describe, expect, test } from 'bun:test'
import { subscriptionsSettings } from '../../src/modules/subscriptions/environment.ts'
import { ConfigError, parseEnvironment } from '../../src/platform/config.ts'
import { startApp } from '../../src/platform/testing/processes.ts'
import { SECRET_KEY, WEBHOOK_SECRET } from './payments-stripe.ts'

const refusal = (env: Record<string, string>) => {
  try {
    parseEnvironment(subscriptionsSettings, env)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as ConfigError).message
  }
  return undefined
}

describe('payments settings', () => {
  test('the app refuses to start in production on the dev provider, in one line, before it opens anything', async () => {
    const app = startApp({
      NODE_ENV: 'production',
      MODULES: 'users,streams,subscriptions',
      USERS_DATABASE_URL: 'postgres://127.0.0.1:1/nowhere',
      STREAMS_DATABASE_URL: 'postgres://127.0.0.1:1/nowhere',
      SUBSCRIPTIONS_DATABASE_URL: 'postgres://127.0.0.1:1/nowhere',
      REDIS_URL: 'redis://127.0.0.1:1',
    })
    expect(await app.exited).toBe(1)
    expect(app.stderr.join('\n').trim().split('\n')).toEqual([
      'ondes: configuration error: PAYMENTS_PROVIDER: expected stripe when NODE_ENV=production (dev confirms payments nobody made)',
    ])
  }, 20_000)

  test('dev named outright is refused the same; anywhere but production it is the default', () => {
    expect(refusal({ NODE_ENV: 'production', PAYMENTS_PROVIDER: 'dev' })).toBe(
      'PAYMENTS_PROVIDER: expected stripe when NODE_ENV=production (dev confirms payments nobody made), got "dev"',
    )
    expect(parseEnvironment(subscriptionsSettings, {}).PAYMENTS_PROVIDER).toBe('dev')
    expect(parseEnvironment(subscriptionsSettings, { NODE_ENV: 'development' }).PAYMENTS_PROVIDER).toBe('dev')
  })

  test('stripe needs its secret key and webhook secret, each of its shape', () => {
    expect(refusal({ PAYMENTS_PROVIDER: 'stripe', STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET })).toBe(
      'STRIPE_SECRET_KEY: expected a value when PAYMENTS_PROVIDER=stripe',
    )
    expect(refusal({ PAYMENTS_PROVIDER: 'stripe', STRIPE_SECRET_KEY: SECRET_KEY })).toBe('STRIPE_WEBHOOK_SECRET: expected a value when PAYMENTS_PROVIDER=stripe')
    expect(refusal({ PAYMENTS_PROVIDER: 'stripe', STRIPE_SECRET_KEY: 'pk_test_x', STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET })).toBe(
      'STRIPE_SECRET_KEY: expected a Stripe secret key (sk_live_…, sk_test_…), got "pk_test_x"',
    )
    expect(refusal({ PAYMENTS_PROVIDER: 'paypal' })).toBe('PAYMENTS_PROVIDER: expected dev or stripe, got "paypal"')
    const production = { NODE_ENV: 'production', PAYMENTS_PROVIDER: 'stripe', STRIPE_SECRET_KEY: SECRET_KEY, STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET }
    expect(parseEnvironment(subscriptionsSettings, production)).toMatchObject({ PAYMENTS_PROVIDER: 'stripe', STRIPE_API_URL: 'https://api.stripe.com' })
  })
})
