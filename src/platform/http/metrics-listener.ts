import { Hono, type Handler } from 'hono'
import type { Registry } from 'prom-client'
import type { AppEnv } from './env.ts'
import { routeNotFound } from './on-error.ts'
import { withSecurityHeaders } from './security-headers.ts'

/**
 * `GET /metrics`: the registry in Prometheus's text format.
 *
 * @example app.get('/metrics', metricsRoute(metrics.registry))
 */
export function metricsRoute(registry: Registry): Handler<AppEnv> {
  return async (c) => c.body(await registry.metrics(), 200, { 'content-type': registry.contentType })
}

export type MetricsListener = {
  url: URL
  /** Stops listening and closes its connections (a scrape is short; none is waited for). */
  stop: () => Promise<void>
}

/**
 * `/metrics` alone on a port of its own (`METRICS_PORT`), so the public port need not expose
 * it: Prometheus reaches this one inside the network, clients reach the other. Anything else
 * here is the platform's 404 problem, with the same security headers.
 *
 * @example
 * const listener = serveMetrics(metrics.registry, { port: 9464, hostname: '0.0.0.0' })
 * await fetch(new URL('/metrics', listener.url)) // 200, text/plain; version=0.0.4
 */
export function serveMetrics(registry: Registry, options: { port: number; hostname: string }): MetricsListener {
  const app = new Hono<AppEnv>()
  app.get('/metrics', metricsRoute(registry))
  app.notFound(routeNotFound)
  const server = Bun.serve({ ...options, fetch: withSecurityHeaders((request) => app.fetch(request)) })
  return { url: server.url, stop: () => server.stop(true) }
}
