import type { Result, Router } from 'hono/router'
import type { H, RouterRoute } from 'hono/types'
import { RegExpRouter } from 'hono/router/reg-exp-router'
import { SmartRouter } from 'hono/router/smart-router'
import { TrieRouter } from 'hono/router/trie-router'

/** What Hono stores per route in its router. */
export type Handler = [H, RouterRoute]

/**
 * Hono's default router, remembering its latest match: Hono matches synchronously as
 * `app.fetch` is called, so right after that call `last` is the request's match, and the
 * route it is labelled by needs no second match.
 */
export class RecordingRouter implements Router<Handler> {
  readonly name = 'RecordingRouter'
  last: Result<Handler> | undefined
  readonly #inner: Router<Handler> = new SmartRouter({ routers: [new RegExpRouter(), new TrieRouter()] })

  add(method: string, path: string, handler: Handler): void {
    this.#inner.add(method, path, handler)
  }

  match(method: string, path: string): Result<Handler> {
    return (this.last = this.#inner.match(method, path))
  }
}
