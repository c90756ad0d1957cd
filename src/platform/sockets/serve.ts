import type { Server } from 'bun'
import type { BunRoutes } from '../http/native-routes.ts'
import type { Envelope } from './hub.ts'
import type { SocketSeam } from './seam.ts'

/** A platform being served: its address, and the graceful stop. */
export type Served = {
  url: URL
  port: number
  /**
   * Stops accepting, lets in-flight HTTP requests be answered, then runs the modules'
   * `goingAway` hooks and closes every socket with 1001 "going away"; whatever is still open
   * after `timeoutMs` is cut off. Idempotent.
   */
  stop: (timeoutMs: number) => Promise<void>
}

/**
 * `Bun.serve` with the platform's `fetch` and the socket seam's `websocket` handler.
 * `maxRequestBodySize` is the server-wide ceiling: Bun answers a bare 413 to a larger body,
 * announced or streamed, before any JavaScript runs; routes refuse smaller ones themselves.
 */
export function serveWithSockets(
  seam: SocketSeam,
  http: (request: Request, server: Server<Envelope>) => Response | Promise<Response>,
  options: { port: number; hostname: string; maxRequestBodySize: number; routes?: BunRoutes },
): Served {
  const server = Bun.serve<Envelope>({ ...options, fetch: seam.fetch(http), websocket: seam.websocket })
  seam.attach(server)
  let stopping: Promise<void> | undefined
  return {
    url: server.url,
    port: server.port ?? options.port,
    stop: (timeoutMs) => (stopping ??= drain(server, seam, timeoutMs).finally(() => seam.attach(undefined))),
  }
}

async function drain(server: Server<Envelope>, seam: SocketSeam, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs
  // stop(false) stops accepting and resolves only once every connection is closed, sockets
  // included; so the sockets are closed here, after the last HTTP answer has gone out.
  const closed = server.stop(false)
  while (server.pendingRequests > 0 && performance.now() < deadline) await Bun.sleep(5)
  seam.goAway()
  const left = Math.max(0, deadline - performance.now())
  const done = await Promise.race([closed.then(() => true), Bun.sleep(left).then(() => false)])
  if (!done) await server.stop(true)
}
