import { METHOD_NAME_ALL, type Result } from 'hono/router'
import type { Logger } from 'pino'
import { histogramSeries, type Metrics, type Series } from '../metrics.ts'
import { prefixOwner, type PrefixClaim } from './prefixes.ts'
import type { Handler, RecordingRouter } from './recording-router.ts'
import { RequestScope, requestIdOf } from './request-scope.ts'

type Match = Result<Handler>

/**
 * The route a request is labelled by: the first route declared for a method that matched,
 * the one whose handler answers (middleware registered with `use` matches any method).
 * Never the raw path, whose ids would explode the series count.
 */
function routeOf(match: Match | undefined): string {
  const candidates = match?.[0] ?? []
  for (let i = 0; i < candidates.length; i++) {
    const route = candidates[i]![0][1]
    if (route.method !== METHOD_NAME_ALL) return route.path
  }
  return 'unmatched'
}

/** The RED histogram's series per route, method and status, built on first use. */
function requestSeries(metrics: Metrics, prefixes: PrefixClaim[]) {
  // The route template's owner by longest prefix: `/api/channels/vips` is chat's inside streams' `/api/channels`.
  const prefixOf = prefixOwner(prefixes)
  const ownerOf = (route: string) => prefixOf(route) ?? 'platform'
  const byRoute = new Map<string, Map<string, Map<number, Series>>>()
  return (route: string, method: string, status: number): Series => {
    let byMethod = byRoute.get(route)
    if (byMethod === undefined) byRoute.set(route, (byMethod = new Map()))
    let byStatus = byMethod.get(method)
    if (byStatus === undefined) byMethod.set(method, (byStatus = new Map()))
    let series = byStatus.get(status)
    if (series === undefined) {
      const labels = { module: ownerOf(route), method, route, status: String(status) }
      byStatus.set(status, (series = histogramSeries(metrics.httpDuration, labels)))
    }
    return series
  }
}

/** What the observer wraps: a handler told the request's scope (`c.env` for Hono). */
type Observed = (request: Request, scope: RequestScope) => Response | Promise<Response>
/** What Bun.serve calls: a request and its server. */
export type Served = (request: Request, server?: unknown) => Response | Promise<Response>

/**
 * What every request gets: an id (echoed as `X-Request-Id`), a lazy child logger carrying it
 * (`c.env`), and the RED histogram. Kept outside Hono's middleware chain, where each step costs
 * a compose step and a promise on every request.
 * - `requests`: the app's `fetch`, each request labelled by the route the router matched;
 * - `route`: one route's handler that Bun's own router calls (`native-routes.ts`), labelled by its template.
 */
export function requestObserver(options: { log: Logger; metrics: Metrics; prefixes: PrefixClaim[] }) {
  const { log } = options
  const seriesOf = requestSeries(options.metrics, options.prefixes)

  const finish = (request: Request, scope: RequestScope, route: string, started: number, response: Response) => {
    const seconds = (performance.now() - started) / 1000
    seriesOf(route, request.method, response.status)(seconds)
    // The route template, never the path: a path can hold a credential (the ingest callbacks' secret).
    if (log.isLevelEnabled('debug')) {
      scope.log.debug({ method: request.method, route, status: response.status, ms: seconds * 1000 }, 'request')
    }
    // Bun's Response headers are mutable, even on responses `fetch` returns.
    response.headers.set('x-request-id', scope.requestId)
    return response
  }

  const observe = (request: Request, server: unknown, handle: Observed, routeOfAnswer: () => string): Response | Promise<Response> => {
    const started = performance.now()
    const scope = new RequestScope(server, requestIdOf(request), log)
    const answer = handle(request, scope)
    const route = routeOfAnswer()
    return answer instanceof Promise
      ? answer.then((response) => finish(request, scope, route, started, response))
      : finish(request, scope, route, started, answer)
  }

  return {
    requests: (fetch: Observed, router: RecordingRouter): Served => {
      const matched = () => routeOf(router.last)
      return (request, server) => {
        router.last = undefined
        return observe(request, server, fetch, matched)
      }
    },
    route: (template: string, handle: Observed): Served => {
      const route = () => template
      return (request, server) => observe(request, server, handle, route)
    },
  }
}
