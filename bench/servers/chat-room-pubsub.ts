/**
 * Baseline of the chat fan-out figures (bench/chat-room.ts): a bare Bun.serve whose WebSocket
 * clients all subscribe to one topic, and every text frame a client sends is published to the
 * others as it came (`ws.publish`, the sender skipped as chat skips it) — Bun's native pub/sub with
 * nothing on top. The clients pad their frames to the size of Ondes's PRIVMSG lines.
 */
const baseline = Bun.serve({
  port: Number(process.env.PORT ?? 0),
  hostname: process.env.HOST ?? '127.0.0.1',
  fetch: (request, server) => (server.upgrade(request) ? undefined : new Response('ok')),
  websocket: {
    open: (ws) => void ws.subscribe('room'),
    message: (ws, message) => void ws.publish('room', message),
  },
})
console.log(`bun pub/sub baseline on ${baseline.url}`)
export {}
