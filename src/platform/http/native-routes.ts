import type { OpenAPIHono } from '@hono/zod-openapi'
import type { Handler } from 'hono'
import { limitBody } from './body-limit.ts'
import type { AppEnv } from './env.ts'
import { problemOf } from './on-error.ts'
import { contestedOwner, prefixOwner, type PrefixClaim } from './prefixes.ts'
import { problemAnswer, type ProblemTable } from './problem.ts'
import type { Served } from './observe.ts'
import type { RequestScope } from './request-scope.ts'
import { withSecurityHeaders } from './security-headers.ts'

export type NativeMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/**
 * A route Bun's own router serves, ahead of Hono, for the few routes whose cost per request is
 * what matters (a heartbeat from every player every 30 s): there Hono's router over every
 * module's routes, its middleware chain and its context cost more than the route's own work
 * (bench/heartbeats.ts). Its answers are a Hono route's: the platform mounts the same handler in
 * the module's Hono app too (what `platform.fetch` and the unusual requests below take), errors
 * become problem+json through the same table, and requests are observed and secured alike.
 * The module documents it in its OpenAPI registry as any route.
 *
 * @example
 * nativeRoutes: [{ method: 'POST', path: '/api/streams/:id/heartbeat', bodyLimit: 1024, handle: (request, { id }, scope) => beat(request, id, scope) }]
 */
export type NativeRoute = {
  method: NativeMethod
  /** Named parameters only (`/api/streams/:id/heartbeat`): Bun's syntax and Hono's alike. */
  path: string
  /**
   * The largest body it takes, in bytes. A request is served natively only when its
   * Content-Length says it fits; a streamed body or a larger one takes the Hono path, whose
   * body limit counts a streamed body as it comes (the same 413 either way).
   */
  bodyLimit?: number
  /** `params` decoded; `scope` is what a Hono handler sees as `c.env`. */
  handle: (request: Request, params: Record<string, string>, scope: RequestScope) => Promise<Response>
}

/** A module's native routes, as the platform collects them. */
export type NativeRouteClaim = { module: string; route: NativeRoute }

type Observe = (template: string, handle: (request: Request, scope: RequestScope) => Promise<Response>) => Served
type BunRequest = Request & { params: Record<string, string> }
/** Bun.serve's `routes`: per path, a handler per method (other methods fall through to `fetch`). */
export type BunRoutes = Record<string, Partial<Record<NativeMethod, (request: BunRequest, server: unknown) => Response | Promise<Response>>>>

/**
 * Refuses a native route outside its module's prefixes, or on a path where two modules'
 * prefixes nest: Bun's router would hand it paths that the module owning them by longest
 * prefix should answer (`contestedOwner`), which only the platform's Hono router sorts out.
 */
export function checkNativeRoutes(claims: readonly NativeRouteClaim[], prefixes: readonly PrefixClaim[]): void {
  const ownerOf = prefixOwner(prefixes)
  const contested = contestedOwner(prefixes)
  const seen = new Set<string>()
  for (const { module, route } of claims) {
    const where = `${module}: native route ${route.method} ${route.path}`
    if (ownerOf(route.path) !== module) throw new Error(`${where} is outside the module's prefixes`)
    if (contested?.(route.path) !== undefined) throw new Error(`${where} lies where two modules' prefixes nest`)
    if (seen.has(`${route.method} ${route.path}`)) throw new Error(`${where} is declared twice`)
    seen.add(`${route.method} ${route.path}`)
  }
}

/** Mounts `routes` in a module's Hono app: the same handler, behind the route's body limit. */
export function mountNativeRoutes(app: OpenAPIHono<AppEnv>, routes: readonly NativeRoute[]): void {
  for (const route of routes) {
    const handler: Handler<AppEnv> = (c) => route.handle(c.req.raw, c.req.param(), c.env)
    if (route.bodyLimit === undefined) app.on(route.method, route.path, handler)
    else app.on(route.method, route.path, limitBody(route.bodyLimit), handler)
  }
}

/** Whether `request`'s body is one the native path takes: announced, not streamed, within the limit. */
function fitsNatively(request: Request, bodyLimit: number | undefined): boolean {
  if (bodyLimit === undefined) return true
  const headers = request.headers
  const length = headers.get('content-length')
  return length !== null && !headers.has('transfer-encoding') && Number(length) <= bodyLimit
}

/**
 * The `routes` Bun.serve is given: each native route observed as `observe` labels it, its
 * errors answered from `problems`, its answers secured; a request it does not take natively
 * goes to `fetch`, the platform's whole path.
 */
export function bunRoutes(
  claims: readonly NativeRouteClaim[],
  options: { observe: Observe; problems: ProblemTable; fetch: Served },
): BunRoutes {
  const routes: BunRoutes = {}
  for (const { route } of claims) {
    const served = withSecurityHeaders(
      options.observe(route.path, async (request, scope) => {
        try {
          return await route.handle(request, (request as BunRequest).params, scope)
        } catch (error) {
          return problemAnswer(problemOf(error, options.problems, scope.log))
        }
      }),
    )
    const byMethod = (routes[route.path] ??= {})
    byMethod[route.method] = (request, server) => (fitsNatively(request, route.bodyLimit) ? served : options.fetch)(request, server)
  }
  return routes
}
