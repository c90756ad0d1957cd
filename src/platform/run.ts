import type { Platform, PlatformServed } from './platform.ts'

/**
 * Serves the platform (HTTP and sockets) until SIGTERM or SIGINT, then shuts down gracefully:
 * no new connections, in-flight requests answered, sockets closed with 1001, the platform
 * stopped, `after` (the embedded Postgres), exit 0. `src/main.ts` and test entries share it, so
 * the shutdown a test proves is the one that ships.
 *
 * @example
 * const served = serveUntilSignalled(platform, { after: () => embedded?.stop() })
 */
export function serveUntilSignalled(platform: Platform, options: { after?: () => Promise<void> } = {}): PlatformServed {
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
  // Until here the embedded Postgres's start-up handlers own the signals (they stop the server
  // and exit at once, which would cut in-flight requests short); from here the shutdown above
  // does, and stops that server last through `after`.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.removeAllListeners(signal)
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
  return served
}
