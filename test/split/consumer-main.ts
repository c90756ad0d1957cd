/**
 * Entry point of the event tests' consuming process: the users module plus the follower
 * projection, built by the platform exactly as src/main.ts builds them and configured from the
 * environment. MODULES=analytics runs the projection alone (the split test, over Redis);
 * MODULES=users,analytics runs both in one process (the monolith test, no Redis).
 * PROJECTION_HANDLER_DELAY_MS slows each handler down (see followerProjection).
 */
import { loadConfig } from '../../src/platform/config.ts'
import { createPlatform } from '../../src/platform/platform.ts'
import { users } from '../../src/modules/users/index.ts'
import { followerProjection } from './follower-projection/index.ts'

const config = loadConfig()
const platform = await createPlatform(config, [
  // Users alone of the app's modules: the others consume its events, and would need Redis to run elsewhere.
  users,
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
