/**
 * An installation built before any module consumed users' events: users alone, with no
 * Redis. The late-consumer tests start here, then add the consumer. (src/main.ts now builds
 * modules that consume users' events, and refuses to run users alone without Redis.)
 */
import { loadConfig } from '../../src/platform/config.ts'
import { createPlatform } from '../../src/platform/platform.ts'
import { serveUntilSignalled } from '../../src/platform/run.ts'
import { users } from '../../src/modules/users/index.ts'

const platform = await createPlatform(loadConfig(), [users])
const server = serveUntilSignalled(platform)
platform.log.info({ url: server.url.href }, 'users alone listening')
