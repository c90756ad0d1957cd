/** Baseline of figure 2: a bare `Bun.serve` answering "ok", nothing else. */
const server = Bun.serve({
  port: Number(process.env.PORT ?? 0),
  hostname: process.env.HOST ?? '127.0.0.1',
  fetch: () => new Response('ok'),
})
process.on('SIGTERM', () => {
  server.stop(true)
  process.exit(0)
})
