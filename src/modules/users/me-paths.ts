import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../../platform/http/env.ts'

/**
 * The signed-in user's GET routes (`/api/users/me…`) are served on the `{id}` paths of the same
 * shape, and hand every other id on. Hono's RegExpRouter refuses a literal segment beside a
 * parameter in one position for one method (`GET /api/users/me` beside `GET /api/users/{id}`:
 * in either order, whatever pattern the parameter is given), and one refused route puts the
 * whole app on TrieRouter, several times slower a match. The OpenAPI document still lists the
 * `me` paths as they are called.
 */
export const ME = 'me'

/** First on a `me` route sharing an `{id}` path alone: any other id is a route that does not exist. */
export const onlyMe: MiddlewareHandler<AppEnv> = async (c, next) => (c.req.param('id') === ME ? next() : c.notFound())
