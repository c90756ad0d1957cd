import { createRoute, type RouteConfig } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import { requireRole } from '../auth/guard.ts'
import type { Role } from '../auth/tokens.ts'
import { DEFAULT_ROUTE_BODY_LIMIT, limitBody } from './body-limit.ts'
import type { AppEnv } from './env.ts'
import { problemResponses } from './openapi.ts'

type Spec = Omit<RouteConfig, 'security' | 'operationId'> & {
  /** Stable and unique across the API: client generators name their methods after it (`getUser`). */
  operationId: string
  /** The largest `request.body` the route takes, in bytes (a 413 `request.too_large` beyond); 64 KiB unless said. */
  bodyLimit?: number
}

/** A route anyone may call: the document says so with an explicit `security: []`. */
export type PublicRouteSpec = Spec & { auth: 'none' }

/** A route for bearers of an access token, optionally holding one of `roles`. */
export type AuthenticatedRouteSpec = Spec & { auth: 'required'; roles?: readonly Role[] }

export type RouteSpec = PublicRouteSpec | AuthenticatedRouteSpec

type AuthResponses<R extends RouteSpec> = R extends { auth: 'required' }
  ? ReturnType<typeof problemResponses<R extends { roles: readonly Role[] } ? 401 | 403 : 401>>
  : unknown

/** What `router.openapi` takes: the spec with its security, middleware and auth answers filled in. */
export type DefinedRoute<R extends RouteSpec> = Omit<R, 'auth' | 'roles' | 'responses' | 'bodyLimit'> & {
  security: { bearer: string[] }[]
  middleware: MiddlewareHandler<AppEnv>[]
  responses: R['responses'] & AuthResponses<R>
  getRoutingPath(): string
}

export type DefineRoute = <const R extends RouteSpec>(spec: R) => DefinedRoute<R>

/**
 * The one way a module declares a route. `auth: 'required'` adds the bearer security
 * requirement (naming `roles`, as OpenAPI 3.1 lets a bearer requirement list the roles it needs),
 * the platform's token check (and `requireRole` for `roles`) before the route's own middleware,
 * and the 401 (and 403) answers; `auth: 'none'` states `security: []`, so the document tells
 * clients the route is public rather than leaving it unsaid.
 *
 * @example
 * ```ts
 * const route = routeDefiner(authenticated) // `authenticated` from the ModuleContext
 * router.openapi(
 *   route({ auth: 'required', operationId: 'getMe', method: 'get', path: '/api/users/me', responses }),
 *   (c) => c.json({ user_id: c.var.auth.userId }, 200),
 * )
 * ```
 */
export function routeDefiner(authenticated: MiddlewareHandler<AppEnv>): DefineRoute {
  return (spec) => {
    const { auth, roles, middleware = [], responses, bodyLimit, ...rest } = spec as
      | AuthenticatedRouteSpec
      | (PublicRouteSpec & { roles?: undefined })
    // Only routes that read a body pay for the check (nothing else parses one); after the token
    // check, so a stranger's body is never read, and before the route's own middleware.
    const limit = rest.request?.body ? [limitBody(bodyLimit ?? DEFAULT_ROUTE_BODY_LIMIT)] : []
    const own = [...limit, ...([middleware].flat() as MiddlewareHandler<AppEnv>[])]
    const answers = { ...responses, ...(limit.length > 0 ? problemResponses(413) : {}) }
    if (auth === 'none') return createRoute({ ...rest, responses: answers, security: [], middleware: own }) as never
    return createRoute({
      ...rest,
      security: [{ bearer: [...(roles ?? [])] }],
      middleware: [authenticated, ...(roles ? [requireRole(...roles)] : []), ...own],
      responses: { ...answers, ...(roles ? problemResponses(401, 403) : problemResponses(401)) },
    }) as never
  }
}
