/**
 * Entry point of a process that only verifies tokens, as every module but users does: the
 * probe module (its admin route) alone, configured from the environment, on PROBE_DATABASE_URL.
 * The revocation test runs it beside a users process on the same Redis.
 */
import { loadConfig } from '../../src/platform/config.ts'
import { createPlatform } from '../../src/platform/platform.ts'
import { probeModule } from '../../src/platform/testing/fixtures/probe-module.ts'

const config = loadConfig()
const platform = await createPlatform({ ...config, modules: [probeModule.name], databaseUrls: { probe: process.env.PROBE_DATABASE_URL } }, [
  probeModule,
])
const served = platform.serve({ port: config.port, hostname: config.host })
platform.log.info({ port: config.port }, 'guarded probe listening')

process.once('SIGTERM', () => {
  void (async () => {
    await served.stop(1000)
    await platform.stop()
    process.exit(0)
  })()
})
