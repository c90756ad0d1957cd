import { createMiddleware } from 'hono/factory'
import { routePath } from 'hono/route'
import type { Logger } from 'pino'
import type { AppEnv } from './env.ts'
import type { Metrics } from '../metrics.ts'

/** Owner of a route template, found by longest declared prefix; cached since templates are few. */
function moduleResolver(prefixes: { module: string; prefix: string }[]): (route: string) => string {
  const sorted = [...prefixes].sort((a, b) => b.prefix.length - a.prefix.length)
  const cache = new Map<string, string>()
  return (route) => {
    let owner = cache.get(route)
    if (owner === undefined) {
      owner = sorted.find(({ prefix }) => route === prefix || route.startsWith(`${prefix}/`))?.module ?? 'platform'
      cache.set(route, owner)
    }
    return owner
  }
}

/**
 * Per-request logger carrying the request id, and the RED histogram labelled by route
 * template (never the raw path, whose ids would explode the series count).
 */
export const observeRequests = (log: Logger, metrics: Metrics, prefixes: { module: string; prefix: string }[]) => {
  const ownerOf = moduleResolver(prefixes)
  return createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now()
    const requestLog = log.child({ requestId: c.var.requestId })
    c.set('log', requestLog)
    await next()
    const template = routePath(c)
    const route = template === '*' || template === '/*' || template === '' ? 'unmatched' : template
    const status = c.res.status
    const seconds = (performance.now() - started) / 1000
    metrics.httpDuration.observe(
      { module: ownerOf(route), method: c.req.method, route, status: String(status) },
      seconds,
    )
    if (requestLog.isLevelEnabled('debug')) {
      requestLog.debug({ method: c.req.method, path: c.req.path, route, status, ms: seconds * 1000 }, 'request')
    }
  })
}
