type Fetch = (request: Request, server?: unknown) => Response | Promise<Response>

/**
 * What every response says, whoever answered (a route, a problem, the 404, the error handler):
 * - `nosniff`: a browser never runs a JSON body, an error page or metrics as script or HTML;
 * - `no-referrer`: a link followed from /docs (or a page an API answer lands in) leaks no URL.
 */
const ALWAYS: ReadonlyArray<readonly [string, string]> = [
  ['x-content-type-options', 'nosniff'],
  ['referrer-policy', 'no-referrer'],
]

/**
 * Defaults a route may replace by setting its own: API answers are not cached anywhere (they
 * carry tokens, sessions and personal data; a route that may be cached says so itself, as the
 * docs' assets do), and a JSON answer opened in a browser may load nothing and not be framed.
 */
const UNLESS_SET: ReadonlyArray<readonly [string, string]> = [
  ['cache-control', 'no-store'],
  ['content-security-policy', "default-src 'none'; frame-ancestors 'none'"],
]

function secure(response: Response): Response {
  // Bun's Response headers are mutable, even on responses `fetch` returns.
  const headers = response.headers
  for (const [name, value] of ALWAYS) headers.set(name, value)
  for (const [name, value] of UNLESS_SET) if (!headers.has(name)) headers.set(name, value)
  return response
}

/**
 * The platform's `fetch` with the security headers on every response it returns. Outside Hono's
 * middleware chain (like `observeRequests`), so the error handler's and the 404's answers get
 * them too and no request pays for a middleware step.
 *
 * @example
 * const fetch = withSecurityHeaders(observeRequests(app.fetch, router, options))
 * (await fetch(new Request('http://ondes.test/nowhere'))).headers.get('x-content-type-options') // 'nosniff'
 */
export function withSecurityHeaders(fetch: Fetch): Fetch {
  return (request, server) => {
    const answer = fetch(request, server)
    return answer instanceof Promise ? answer.then(secure) : secure(answer)
  }
}
