import type { Logger } from 'pino'

// What hono/request-id accepted, so an id from the gateway (nginx's $request_id) or a client is kept.
const VALID_ID = /^[\w\-=]{1,255}$/

/** The caller's `X-Request-Id` when it is a sane token, else a fresh UUID. */
export function requestIdOf(request: Request): string {
  const sent = request.headers.get('x-request-id')
  return sent !== null && VALID_ID.test(sent) ? sent : crypto.randomUUID()
}

/**
 * What the platform gives every request, as `c.env`: its id and a logger carrying it. `server`
 * is the Bun server, where `getConnInfo` from `hono/bun` looks for it.
 */
export class RequestScope {
  #log: Logger | undefined

  constructor(
    readonly server: unknown,
    readonly requestId: string,
    private readonly baseLog: Logger,
  ) {}

  /** Child logger with the request id; built on first use, as most requests never log. */
  get log(): Logger {
    return (this.#log ??= this.baseLog.child({ requestId: this.requestId }))
  }
}
