/**
 * Consumer process of bench/events.ts: the real platform for the test-probe consuming module
 * (`analytics`, src/platform/events/test-probe.ts) — a Redis Streams consumer group whose
 * batch handler inserts the `pings` rows of a read's events in one statement, in the inbox's
 * transaction, then XACKs — built exactly as src/main.ts builds a split process
 * (MODULES=analytics, ANALYTICS_DATABASE_URL, REDIS_URL, EVENTS_STREAM_PREFIX, …). The bench
 * reads the timings from its database.
 */
import { loadConfig } from '../../src/platform/config.ts'
import { probeConsumer } from '../../src/platform/events/test-probe.ts'
import { createPlatform } from '../../src/platform/platform.ts'

const consumer = probeConsumer('bench')
const base = loadConfig()
// As in events-producer.ts: `analytics` in the environment, the probe's own name here.
const config = { ...base, modules: [consumer.name], databaseUrls: { [consumer.name]: base.databaseUrls.analytics } }
const platform = await createPlatform(config, [consumer])
const server = Bun.serve({ port: config.port, hostname: config.host, fetch: platform.fetch })
platform.log.warn({ url: server.url.href }, 'bench events consumer listening')

process.on('SIGTERM', () => {
  void (async () => {
    await server.stop(true)
    // Ends the read loop; what it has committed is acknowledged, the rest stays pending.
    await platform.stop()
    process.exit(0)
  })()
})
