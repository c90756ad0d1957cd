import type { Server, ServerWebSocket } from 'bun'
import type { SocketCounts } from './metrics.ts'
import type { ModuleSocket, ModuleSockets, SocketServer } from './types.ts'

/** What Bun keeps on each socket: the module it belongs to, then the module's own view of it. */
export type Envelope = { hub: SocketHub; data: unknown; protocol: string; socket?: PlatformSocket }
export type RawSocket = ServerWebSocket<Envelope>

/**
 * One module's sockets in this process. Topics are namespaced by the module (`chat:room:1`), so
 * two modules' topics never meet; the hub counts each topic's subscribers itself, which makes
 * a publish's delivered frames one map read (Bun's `subscriberCount` walks every topic).
 */
export class SocketHub implements SocketServer {
  server: Server<Envelope> | undefined
  readonly sockets = new Set<PlatformSocket>()
  readonly subscribers = new Map<string, number>()
  readonly prefix: string

  constructor(
    readonly module: string,
    readonly counts: SocketCounts,
    /** Set once the module's `create` has returned them. */
    public handlers: ModuleSockets<unknown> | undefined,
  ) {
    this.prefix = `${module}:`
  }

  publish(topic: string, data: string | Uint8Array, compress?: boolean): number {
    if (this.server === undefined) return 0
    const status = this.server.publish(this.prefix + topic, data, compress)
    if (status === 0) return 0
    const sent = this.subscribers.get(topic) ?? 0
    this.counts.framesOut += sent
    return sent
  }

  subscriberCount(topic: string): number {
    return this.subscribers.get(topic) ?? 0
  }

  track(topic: string, by: 1 | -1): void {
    const n = (this.subscribers.get(topic) ?? 0) + by
    if (n > 0) this.subscribers.set(topic, n)
    else this.subscribers.delete(topic)
  }
}

/** The `ModuleSocket` a module's handlers receive, over Bun's socket; counts what it sends. */
export class PlatformSocket implements ModuleSocket<unknown> {
  readonly topics = new Set<string>()

  constructor(
    readonly raw: RawSocket,
    readonly hub: SocketHub,
    public data: unknown,
    readonly protocol: string,
  ) {}

  get remoteAddress(): string {
    return this.raw.remoteAddress
  }

  send(data: string | Uint8Array, compress?: boolean): number {
    const status = this.raw.send(data, compress)
    if (status !== 0) this.hub.counts.framesOut += 1
    return status
  }

  publish(topic: string, data: string | Uint8Array, compress?: boolean): number {
    const status = this.raw.publish(this.hub.prefix + topic, data, compress)
    // Bun does not send a socket's own publish back to it (publishToSelf is off).
    if (status !== 0) this.hub.counts.framesOut += this.hub.subscriberCount(topic) - (this.topics.has(topic) ? 1 : 0)
    return status
  }

  subscribe(topic: string): void {
    if (this.topics.has(topic) || !this.raw.subscribe(this.hub.prefix + topic)) return
    this.topics.add(topic)
    this.hub.track(topic, 1)
  }

  unsubscribe(topic: string): void {
    if (!this.topics.delete(topic)) return
    this.raw.unsubscribe(this.hub.prefix + topic)
    this.hub.track(topic, -1)
  }

  isSubscribed(topic: string): boolean {
    return this.topics.has(topic)
  }

  close(code?: number, reason?: string): void {
    this.raw.close(code, reason)
  }

  /** Bun drops a closed socket's subscriptions; the hub's counts follow. */
  forget(): void {
    for (const topic of this.topics) this.hub.track(topic, -1)
    this.topics.clear()
  }
}
