import { ConfigError, loadConfig } from './platform/config.ts'
import { withEmbeddedDatabases } from './platform/db/embedded-postgres.ts'
import { createPlatform } from './platform/platform.ts'
import { modules } from './modules.ts'

async function main(): Promise<void> {
  const started = performance.now()
  const { config, embedded } = await withEmbeddedDatabases(loadConfig())
  const platform = await createPlatform(config, modules).catch(async (error) => {
    await embedded?.stop()
    throw error
  })
  const server = Bun.serve({ port: config.port, hostname: config.host, fetch: platform.fetch })
  const ms = Math.round(performance.now() - started)
  const served = modules.filter((m) => config.modules.includes(m.name)).map((m) => m.name)
  platform.log.info(
    { url: server.url.href, modules: served, embeddedPostgres: Boolean(embedded), ms },
    `Ondes listening on ${server.url.href} (${served.join(', ') || 'no module built yet'}${embedded ? `; embedded Postgres, data in ${config.dataDir}/` : ''}) — ready in ${ms} ms; Ctrl+C or SIGTERM stops it`,
  )

  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    platform.log.info({ signal }, 'shutting down: no new connections, finishing in-flight requests')
    // stop(false) stops accepting and resolves once in-flight requests have been answered.
    await Promise.race([server.stop(false), Bun.sleep(config.shutdownTimeoutMs).then(() => server.stop(true))])
    await platform.stop()
    await embedded?.stop()
    platform.log.info('stopped')
    process.exit(0)
  }
  // Importing embedded-postgres installs async-exit-hook, which answers these signals with
  // process.exit(128 + n) as soon as its servers are down, cutting in-flight requests short.
  // Until here it guards start-up; from here the shutdown above owns the signals.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.removeAllListeners(signal)
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(`ondes: configuration error: ${error.message}`)
  } else {
    console.error('ondes: failed to start:', error)
  }
  process.exit(1)
})
