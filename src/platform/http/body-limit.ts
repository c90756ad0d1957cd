import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { AppEnv } from './env.ts'
import { Problem } from './problem.ts'

/** What a route takes when its definition names no `bodyLimit`: JSON forms are small. */
export const DEFAULT_ROUTE_BODY_LIMIT = 64 * 1024

/**
 * Refuses a body over `maxBytes` with a 413 `request.too_large` before anything parses it: by
 * its Content-Length, unread; a chunked body is counted as it streams in and dropped at the
 * first byte too many, so a hostile client costs at most `maxBytes` of memory and no parse.
 *
 * A request with a Content-Length (and no Transfer-Encoding, which Bun would then go by) is judged
 * by its headers alone: Hono's `bodyLimit` looks at `request.body` first, and in Bun that getter
 * makes the body a ReadableStream, which the route's own `json()` then reads through (~2 µs a
 * request; bench/heartbeats.ts). Bun reads no more bytes than the Content-Length says.
 *
 * @example
 * ```ts
 * route({ auth: 'none', bodyLimit: 4 * 1024, operationId: 'login', … }) // route.ts applies it
 * app.post('/upload', limitBody(1024 * 1024), handler)                   // or by hand
 * ```
 */
export const limitBody = (maxBytes: number): MiddlewareHandler<AppEnv> => {
  const tooLarge = () => {
    throw new Problem(413, `The request body is larger than this route takes (${maxBytes} bytes)`, {
      code: 'request.too_large',
    })
  }
  const streamed = bodyLimit({ maxSize: maxBytes, onError: tooLarge })
  return (c, next) => {
    const headers = c.req.raw.headers
    const length = headers.get('content-length')
    if (length === null || headers.has('transfer-encoding')) return streamed(c, next)
    return Number(length) > maxBytes ? tooLarge() : next()
  }
}
