import Stripe from 'stripe'

/**
 * The official client, on `apiUrl` (Stripe's own unless a stand-in is named), with Stripe's
 * recommended retries: its create calls carry an idempotency key, so a retry makes nothing twice.
 */
export function stripeClient(secretKey: string, apiUrl: string): Stripe {
  const api = new URL(apiUrl)
  const protocol = api.protocol === 'http:' ? 'http' : 'https'
  return new Stripe(secretKey, {
    host: api.hostname,
    port: api.port || (protocol === 'http' ? 80 : 443),
    protocol,
    maxNetworkRetries: 2,
    timeout: 10_000,
    telemetry: false,
  })
}
