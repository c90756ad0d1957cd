import type { Served } from './observe.ts'

/**
 * What every response says, whoever answered (a route, a problem, the 404, the error handler):
 * - `nosniff`: a browser never runs a JSON body, an error or metrics as script or HTML;
 * - `no-referrer`: a link followed from /docs (or a page an answer lands in) leaks no URL;
 * - `no-store`, unless the route set its own Cache-Control: answers carry tokens, sessions and
 *   personal data, so nothing caches them; a route that may be cached says so, as /docs' assets do.
 * The CSP is the HTML page's own (/docs): JSON sent with nosniff is never rendered as a page.
 * Answers built outside the platform's `fetch` (the socket seam's refused upgrades) call it directly.
 *
 * @example
 * return secure(new Response(JSON.stringify(problem.toBody()), { status: 403 }))
 */
export function secure(response: Response): Response {
  // Bun's Response headers are mutable, even on responses `fetch` returns.
  const headers = response.headers
  headers.set('x-content-type-options', 'nosniff')
  headers.set('referrer-policy', 'no-referrer')
  if (!headers.has('cache-control')) headers.set('cache-control', 'no-store')
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
export function withSecurityHeaders(fetch: Served): Served {
  return (request, server) => {
    const answer = fetch(request, server)
    return answer instanceof Promise ? answer.then(secure) : secure(answer)
  }
}
