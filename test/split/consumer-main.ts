/**
 * Entry point of the split test's consuming process: the follower projection alone, built
 * by the platform exactly as src/main.ts builds a module, configured from the environment
 * (MODULES=analytics, ANALYTICS_DATABASE_URL, REDIS_URL, EVENTS_STREAM_PREFIX, …).
 * PROJECTION_HANDLER_DELAY_MS slows each handler down (see followerProjection).
 */
import { loadConfig } from '../../src/platform/config.ts'
import { createPlatform } from '../../src/platform/platform.ts'
import { followerProjection } from './follower-projection/index.ts'

const config = loadConfig()
const platform = await createPlatform(config, [
  followerProjection({ handlerDelayMs: Number(process.env.PROJECTION_HANDLER_DELAY_MS ?? 0) }),
])
const server = Bun.serve({ port: config.port, hostname: config.host, fetch: platform.fetch })
platform.log.info({ url: server.url.href }, 'follower projection consumer listening')

let stopping = false
process.on('SIGTERM', () => {
  if (stopping) return
  stopping = true
  // Finish in-flight requests, then the consumer loop (it acknowledges what it has committed).
  void (async () => {
    await server.stop(false)
    await platform.stop()
    process.exit(0)
  })()
})
