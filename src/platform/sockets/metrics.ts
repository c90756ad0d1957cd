import { Counter, Gauge, type Registry } from 'prom-client'

/**
 * One module's socket traffic, counted in plain numbers on the hot path (a frame costs an
 * increment, not prom-client's label hashing) and read into the registry at scrape time.
 */
export type SocketCounts = {
  open: number
  framesIn: number
  framesOut: number
  /** Refused upgrades by HTTP status. */
  refused: Map<number, number>
}

/**
 * Registers the socket metrics, every series labelled by the module that owns the socket:
 * `websocket_connections`, `websocket_upgrades_refused_total` (with `status`),
 * `websocket_frames_received_total`, `websocket_frames_sent_total`. A frame published to a
 * topic counts once per subscriber it was sent to.
 */
export function createSocketMetrics(registry: Registry, modules: string[]): Map<string, SocketCounts> {
  const counts = new Map<string, SocketCounts>(
    modules.map((module) => [module, { open: 0, framesIn: 0, framesOut: 0, refused: new Map() }]),
  )
  new Gauge({
    name: 'websocket_connections',
    help: 'Open WebSocket connections by module',
    labelNames: ['module'],
    registers: [registry],
    collect() {
      for (const [module, c] of counts) this.set({ module }, c.open)
    },
  })
  new Counter({
    name: 'websocket_upgrades_refused_total',
    help: 'WebSocket upgrade requests refused, by module and HTTP status',
    labelNames: ['module', 'status'],
    registers: [registry],
    collect() {
      this.reset()
      for (const [module, c] of counts) for (const [status, n] of c.refused) this.inc({ module, status: String(status) }, n)
    },
  })
  const frames = (name: string, help: string, read: (c: SocketCounts) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['module'],
      registers: [registry],
      collect() {
        this.reset()
        for (const [module, c] of counts) this.inc({ module }, read(c))
      },
    })
  frames('websocket_frames_received_total', 'WebSocket frames received from clients, by module', (c) => c.framesIn)
  frames('websocket_frames_sent_total', 'WebSocket frames sent to clients (a published frame once per subscriber), by module', (c) => c.framesOut)
  return counts
}
