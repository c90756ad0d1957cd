/**
 * A loopback TCP relay in front of nginx-rtmp that notes when each publisher's first and last
 * bytes arrive: the ingest figure's clock starts at the first RTMP packet (the handshake's C0)
 * and stops at the last, not at ffmpeg's spawn or exit.
 */
import type { Socket, TCPSocketListener } from 'bun'

/** One publisher's connection: when its first and last bytes reached the relay (performance.now()). */
export type RelayedConnection = { firstByteAt?: number; lastByteAt?: number; closed: Promise<void> }

type Side = { peer?: Socket<Side>; queued: Uint8Array[]; connection?: RelayedConnection & { close: () => void } }

/** Writes what `socket` can take now and keeps the rest for its next drain. */
function send(socket: Socket<Side>, chunk: Uint8Array): void {
  if (socket.data.queued.length > 0) {
    socket.data.queued.push(chunk)
    return
  }
  const written = socket.write(chunk)
  if (written < chunk.length) socket.data.queued.push(chunk.subarray(Math.max(0, written)))
}

function flush(socket: Socket<Side>): void {
  while (socket.data.queued.length > 0) {
    const chunk = socket.data.queued[0]!
    const written = socket.write(chunk)
    if (written < chunk.length) {
      socket.data.queued[0] = chunk.subarray(Math.max(0, written))
      return
    }
    socket.data.queued.shift()
  }
}

export type RtmpRelay = { port: number; connections: RelayedConnection[]; stop: () => void }

/** Relays 127.0.0.1:<port> to 127.0.0.1:`targetPort`, noting each connection's first and last client bytes. */
export function startRtmpRelay(targetPort: number): RtmpRelay {
  const connections: RelayedConnection[] = []
  const listener: TCPSocketListener<Side> = Bun.listen<Side>({
    hostname: '127.0.0.1',
    port: 0,
    data: { queued: [] },
    socket: {
      open(client) {
        let close = () => {}
        const closed = new Promise<void>((done) => (close = done))
        const connection = { closed, close }
        client.data = { queued: [], connection }
        connections.push(connection)
        void Bun.connect<Side>({
          hostname: '127.0.0.1',
          port: targetPort,
          data: { queued: [] },
          socket: {
            open(upstream) {
              upstream.data = { peer: client, queued: client.data.queued.splice(0) }
              client.data.peer = upstream
              flush(upstream)
            },
            data: (_, chunk) => send(client, new Uint8Array(chunk)),
            drain: flush,
            close: () => void client.end(),
            error: () => void client.end(),
          },
        }).catch(() => void client.end())
      },
      data(client, chunk) {
        const now = performance.now()
        const connection = client.data.connection!
        connection.firstByteAt ??= now
        connection.lastByteAt = now
        // A copy: Bun reuses the buffer of `data` once the handler returns.
        const copy = new Uint8Array(chunk)
        if (client.data.peer) send(client.data.peer, copy)
        else client.data.queued.push(copy)
      },
      drain: flush,
      close(client) {
        client.data.peer?.end()
        client.data.connection?.close()
      },
      error: (client) => void client.end(),
    },
  })
  return { port: listener.port, connections, stop: () => listener.stop(true) }
}
