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
 *
 * Where module prefixes nest (`contestedOwner`), a match keeps only the routes of the module
 * owning the path by longest prefix (and the platform's own): streams' `/api/channels/{id}`
 * never answers chat's `/api/channels/vips`, whichever module was mounted first.
 */
export class RecordingRouter implements Router<Handler> {
  readonly name = 'RecordingRouter'
  last: Result<Handler> | undefined
  readonly #inner: Router<Handler> = new SmartRouter({ routers: [new RegExpRouter(), new TrieRouter()] })
  readonly #moduleOf = new WeakMap<RouterRoute, string>()
  readonly #ownerOf: ((path: string) => string | undefined) | undefined
  #mounting: string | undefined

  constructor(options: { ownerOf?: (path: string) => string | undefined } = {}) {
    this.#ownerOf = options.ownerOf
  }

  /**
   * Routes added while `add` runs are `module`'s (Hono's `app.route` adds them synchronously).
   * @example router.mount('chat', () => app.route('/', chatRoutes))
   */
  mount(module: string, add: () => void): void {
    this.#mounting = module
    try {
      add()
    } finally {
      this.#mounting = undefined
    }
  }

  add(method: string, path: string, handler: Handler): void {
    if (this.#mounting !== undefined) this.#moduleOf.set(handler[1], this.#mounting)
    this.#inner.add(method, path, handler)
  }

  match(method: string, path: string): Result<Handler> {
    const result = this.#inner.match(method, path)
    const owner = this.#ownerOf?.(path)
    return (this.last = owner === undefined ? result : this.#ownedBy(owner, result))
  }

  #ownedBy(owner: string, result: Result<Handler>): Result<Handler> {
    const kept = result[0].filter(([handler]) => {
      const module = this.#moduleOf.get(handler[1])
      return module === undefined || module === owner
    })
    // The parameter stash (RegExpRouter's second element) is indexed per kept route, not by position.
    return (result.length === 2 ? [kept, result[1]] : [kept]) as Result<Handler>
  }
}
