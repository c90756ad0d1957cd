/**
 * Entry of the singleton job test's processes: the platform serving only the job probe, on
 * JOB_PROBE_DATABASE_URL, configured otherwise from the environment like src/main.ts.
 */
import { loadConfig } from '../../config.ts'
import { createPlatform } from '../../platform.ts'
import { JOB_PROBE, jobProbe } from './index.ts'

const config = loadConfig()
const platform = await createPlatform(
  { ...config, modules: [JOB_PROBE], databaseUrls: { [JOB_PROBE]: process.env.JOB_PROBE_DATABASE_URL } },
  [jobProbe({ everyMs: Number(process.env.JOB_PROBE_EVERY_MS ?? 100), runMs: Number(process.env.JOB_PROBE_RUN_MS ?? 100) })],
)
const server = Bun.serve({ port: config.port, hostname: config.host, fetch: platform.fetch })
platform.log.info({ url: server.url.href, pid: process.pid }, 'job probe listening')

process.on('SIGTERM', () => {
  void (async () => {
    await server.stop(false)
    await platform.stop()
    process.exit(0)
  })()
})
