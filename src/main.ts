import { ConfigError, loadConfig } from './platform/config.ts'
import { withEmbeddedDatabases } from './platform/db/embedded-postgres.ts'
import { createPlatform } from './platform/platform.ts'
import { serveUntilSignalled } from './platform/run.ts'
import { modules } from './modules.ts'

async function main(): Promise<void> {
  const started = performance.now()
  const { config, embedded } = await withEmbeddedDatabases(loadConfig())
  const platform = await createPlatform(config, modules, { companions: true }).catch(async (error) => {
    await embedded?.stop()
    throw error
  })
  // The embedded server starts before the platform's log exists: what it did is told now.
  for (const notice of embedded?.notices ?? []) platform.log.warn(notice)
  const server = serveUntilSignalled(platform, { after: async () => embedded?.stop() })
  const ms = Math.round(performance.now() - started)
  const served = modules.filter((m) => config.modules.includes(m.name)).map((m) => m.name)
  platform.log.info(
    { url: server.url.href, metrics: server.metricsUrl?.href, modules: served, embeddedPostgres: Boolean(embedded), ms },
    `Ondes listening on ${server.url.href} (${served.join(', ') || 'no module built yet'}${embedded ? `; embedded Postgres, data in ${embedded.databaseDir}` : ''}${server.metricsUrl ? `; /metrics on ${server.metricsUrl.href}` : ''}) — ready in ${ms} ms; Ctrl+C or SIGTERM stops it`,
  )
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(`ondes: configuration error: ${error.message}`)
  } else {
    console.error('ondes: failed to start:', error)
  }
  process.exit(1)
})
