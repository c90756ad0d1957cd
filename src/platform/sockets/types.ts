/**
 * A module's decision on one upgrade request: accept with the socket's data (and the
 * subprotocol it picked from those offered, echoed as `Sec-WebSocket-Protocol`), or refuse
 * with the HTTP response the client gets instead (a 4xx, e.g. `refuseUpgrade(400, '…')`).
 */
export type SocketUpgrade<Data> = { data: Data; protocol?: string } | Response

/**
 * One open socket as a module sees it: its own `data`, sending and topics. Topics are the
 * module's own (another module's `room:1` is a different topic). Frames sent here and by
 * `publish` are counted in the module's socket metrics.
 */
export type ModuleSocket<Data> = {
  data: Data
  /** The subprotocol accepted at the upgrade, `''` when none. */
  readonly protocol: string
  readonly remoteAddress: string
  /** Sends one frame; Bun's status: bytes sent, `-1` queued under backpressure, `0` dropped (socket closed or over the limit). */
  send: (data: string | Uint8Array, compress?: boolean) => number
  /** Sends to every subscriber of the module's `topic` but this socket; Bun's status as `send`. */
  publish: (topic: string, data: string | Uint8Array, compress?: boolean) => number
  subscribe: (topic: string) => void
  unsubscribe: (topic: string) => void
  isSubscribed: (topic: string) => boolean
  close: (code?: number, reason?: string) => void
}

/**
 * A module's socket handlers (`ModuleInstance.sockets`), served at its definition's
 * `websocket` path. Per-socket state is `Data`, typed by the module. Handlers are methods so a
 * module's `ModuleSockets<ChatData>` fits the platform's `ModuleSockets<unknown>`.
 *
 * @example
 * type EchoData = { name: string }
 * const sockets: ModuleSockets<EchoData> = {
 *   upgrade(request, protocols) {
 *     const name = new URL(request.url).searchParams.get('name')
 *     if (!name) return refuseUpgrade(400, 'name: expected a query parameter')
 *     return { data: { name }, protocol: protocols.includes('echo') ? 'echo' : undefined }
 *   },
 *   open(ws) { ws.subscribe('everyone') },
 *   message(ws, message) { ws.send(`${ws.data.name}: ${String(message)}`) },
 *   goingAway(ws) { ws.send('RECONNECT') },
 * }
 */
export type ModuleSockets<Data> = {
  /** Decides an upgrade request; `protocols` are the subprotocols the client offered, in its order. May be async. */
  upgrade(request: Request, protocols: string[]): SocketUpgrade<Data> | Promise<SocketUpgrade<Data>>
  open?(ws: ModuleSocket<Data>): void
  /** Text frames arrive as strings, binary ones as Buffers. */
  message?(ws: ModuleSocket<Data>, message: string | Buffer): void
  close?(ws: ModuleSocket<Data>, code: number, reason: string): void
  /** The socket's buffered frames have been written: it can take more after backpressure. */
  drain?(ws: ModuleSocket<Data>): void
  /** At shutdown, once in-flight HTTP is answered, just before the platform closes the socket with 1001 (chat: IRC `RECONNECT`). */
  goingAway?(ws: ModuleSocket<Data>): void
}

/**
 * The server's native fan-out (`ModuleContext.sockets`), on the module's own topics. Before
 * the platform serves (`platform.serve()`) and after it has stopped, no socket is open, so
 * nobody is subscribed: `publish` then delivers nothing and returns 0.
 *
 * @example
 * // A chat line to every socket of this process in the room (Bun's native pub/sub):
 * context.sockets.publish(`room:${roomId}`, line)
 */
export type SocketServer = {
  /** Sends one frame to every socket of this module subscribed to `topic`; returns how many subscribers it was sent to (0 if Bun dropped it). */
  publish: (topic: string, data: string | Uint8Array, compress?: boolean) => number
  /** Sockets of this module subscribed to `topic` in this process. */
  subscriberCount: (topic: string) => number
}
