import type { Server, WebSocketHandler } from 'bun'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import { PROBLEM_CONTENT_TYPE, Problem } from '../http/problem.ts'
import { requestIdOf } from '../http/request-scope.ts'
import { secure } from '../http/security-headers.ts'
import { PlatformSocket, SocketHub, type Envelope, type RawSocket } from './hub.ts'
import { createSocketMetrics, type SocketCounts } from './metrics.ts'
import type { ModuleSockets } from './types.ts'

type Fetch = (request: Request, server: Server<Envelope>) => Response | Promise<Response>

/**
 * A refusal of an upgrade: a problem+json response with `status` (a 4xx), which the client
 * gets instead of the switch to WebSocket.
 *
 * @example
 * upgrade(request) {
 *   if (!new URL(request.url).searchParams.has('name')) return refuseUpgrade(400, 'name: expected a query parameter')
 *   return { data: {} }
 * }
 */
export function refuseUpgrade(status: 400 | 401 | 403 | 404 | 409 | 426 | 429, detail: string): Response {
  return problemOf(new Problem(status, detail))
}

const problemOf = (problem: Problem): Response =>
  new Response(JSON.stringify(problem.toBody()), { status: problem.status, headers: { 'content-type': PROBLEM_CONTENT_TYPE } })

/** The subprotocols a client offered (`Sec-WebSocket-Protocol`), in its order. */
function offeredProtocols(request: Request): string[] {
  const header = request.headers.get('sec-websocket-protocol')
  return header
    ? header
        .split(',')
        .map((protocol) => protocol.trim())
        .filter(Boolean)
    : []
}

export type SocketSeam = {
  /** The module's hub: its `ModuleContext.sockets`, and where its handlers go once created. */
  hub: (module: string, path: string | undefined) => SocketHub
  /** Checks that every module declaring a `websocket` path returned handlers, and the reverse. */
  bind: (module: string, handlers: ModuleSockets<unknown> | undefined) => void
  /** Bun's `fetch`: upgrades to a module's socket path go to that module, the rest to `http`. */
  fetch: (http: (request: Request, server: Server<Envelope>) => Response | Promise<Response>) => Fetch
  /** Bun's `websocket` handler, dispatching each event to the socket's module. */
  websocket: WebSocketHandler<Envelope>
  /** Lets the hubs publish on the server (and forget it on `undefined`). */
  attach: (server: Server<Envelope> | undefined) => void
  /** Each module's `goingAway` hook, then a close frame 1001 to each socket; returns how many were open. */
  goAway: () => number
}

/**
 * The platform's socket seam: one Bun `websocket` handler for every module, each socket
 * carrying its module in its data, metrics counted per module (never `module="platform"`),
 * and the upgrade request kept out of the HTTP RED histogram (its outcome is the socket metrics).
 */
export function createSocketSeam(options: {
  registry: Registry
  log: Logger
  /** Modules with a declared `websocket` path, for the metrics. */
  socketModules: string[]
  idleTimeoutSeconds: number
  backpressureLimitBytes: number
}): SocketSeam {
  const { log } = options
  const counts = createSocketMetrics(options.registry, options.socketModules)
  const hubs = new Map<string, SocketHub>()
  const byPath = new Map<string, SocketHub>()
  const paths = new Map<string, string | undefined>()

  const guarded = (hub: SocketHub, what: string, run: () => void) => {
    try {
      run()
    } catch (error) {
      log.error({ err: error, module: hub.module }, `socket ${what} handler failed`)
    }
  }

  // Answered here, not by the platform's fetch: the same headers and request id as its answers.
  const refused = (hub: SocketHub, requestId: string, response: Response): Response => {
    const refusals = hub.counts.refused
    refusals.set(response.status, (refusals.get(response.status) ?? 0) + 1)
    response.headers.set('x-request-id', requestId)
    return secure(response)
  }

  const upgrade = async (hub: SocketHub, request: Request, server: Server<Envelope>): Promise<Response | undefined> => {
    const protocols = offeredProtocols(request)
    const requestId = requestIdOf(request)
    let decision: Awaited<ReturnType<ModuleSockets<unknown>['upgrade']>>
    try {
      decision = await hub.handlers!.upgrade(request, protocols)
    } catch (error) {
      log.error({ err: error, module: hub.module, requestId }, 'socket upgrade handler failed')
      return refused(hub, requestId, problemOf(new Problem(500, 'Something went wrong on our side while opening the socket')))
    }
    if (decision instanceof Response) return refused(hub, requestId, decision)
    const protocol = decision.protocol !== undefined && protocols.includes(decision.protocol) ? decision.protocol : ''
    if (decision.protocol !== undefined && protocol === '') {
      log.warn({ module: hub.module, protocol: decision.protocol, offered: protocols }, 'socket upgrade picked a subprotocol the client did not offer; none echoed')
    }
    // Bun echoes the first offered subprotocol unless told otherwise; an empty header echoes none.
    const headers = { 'sec-websocket-protocol': protocol }
    if (server.upgrade(request, { data: { hub, data: decision.data, protocol }, headers })) return undefined
    return refused(hub, requestId, refuseUpgrade(400, 'expected a WebSocket upgrade (Sec-WebSocket-Key, Sec-WebSocket-Version: 13)'))
  }

  const socketOf = (ws: RawSocket): PlatformSocket => ws.data.socket!

  return {
    hub: (module, path) => {
      const hub = new SocketHub(module, counts.get(module) ?? detachedCounts(), undefined)
      hubs.set(module, hub)
      paths.set(module, path)
      return hub
    },
    bind: (module, handlers) => {
      const hub = hubs.get(module)!
      const path = paths.get(module)
      if (path === undefined && handlers !== undefined) {
        throw new Error(`module ${module} returned sockets but declares no websocket path`)
      }
      if (path === undefined) return
      if (handlers === undefined) throw new Error(`module ${module} declares websocket '${path}' but returned no sockets`)
      const taken = byPath.get(path)
      if (taken) throw new Error(`modules ${taken.module} and ${module} both declare websocket '${path}'`)
      hub.handlers = handlers
      byPath.set(path, hub)
    },
    fetch: (http) => {
      if (byPath.size === 0) return http
      return (request, server) => {
        // Only upgrade requests pay for a path lookup; plain HTTP goes straight on.
        const upgradeHeader = request.headers.get('upgrade')
        if (upgradeHeader !== null && upgradeHeader.toLowerCase() === 'websocket') {
          const hub = byPath.get(new URL(request.url).pathname)
          if (hub !== undefined) return upgrade(hub, request, server) as Promise<Response>
        }
        return http(request, server)
      }
    },
    websocket: {
      idleTimeout: options.idleTimeoutSeconds,
      backpressureLimit: options.backpressureLimitBytes,
      // A reader too slow for its frames is cut off (and reconnects) rather than held in memory or silently skipped.
      closeOnBackpressureLimit: true,
      open(ws) {
        const { hub, data, protocol } = ws.data
        const socket = new PlatformSocket(ws, hub, data, protocol)
        ws.data.socket = socket
        hub.sockets.add(socket)
        hub.counts.open += 1
        if (hub.handlers!.open) guarded(hub, 'open', () => hub.handlers!.open!(socket))
      },
      message(ws, message) {
        const socket = socketOf(ws)
        const { hub } = socket
        hub.counts.framesIn += 1
        if (hub.handlers!.message) guarded(hub, 'message', () => hub.handlers!.message!(socket, message))
      },
      close(ws, code, reason) {
        const socket = socketOf(ws)
        const { hub } = socket
        hub.sockets.delete(socket)
        hub.counts.open -= 1
        socket.forget()
        if (hub.handlers!.close) guarded(hub, 'close', () => hub.handlers!.close!(socket, code, reason))
      },
      drain(ws) {
        const socket = socketOf(ws)
        const { hub } = socket
        if (hub.handlers!.drain) guarded(hub, 'drain', () => hub.handlers!.drain!(socket))
      },
    },
    attach: (server) => {
      for (const hub of hubs.values()) hub.server = server
    },
    goAway: () => {
      let open = 0
      for (const hub of hubs.values()) {
        for (const socket of hub.sockets) {
          open += 1
          if (hub.handlers!.goingAway) guarded(hub, 'goingAway', () => hub.handlers!.goingAway!(socket))
          socket.close(1001, 'going away')
        }
      }
      return open
    },
  }
}

/** Counts of a module without a socket path: nobody can subscribe, so nothing is ever counted. */
const detachedCounts = (): SocketCounts => ({ open: 0, framesIn: 0, framesOut: 0, refused: new Map() })
