/**
 * Entry of the socket tests' process: the socket-echo module alone, served and shut down by
 * the same code as src/main.ts (`serveUntilSignalled`). Its database is
 * SOCKET_ECHO_DATABASE_URL; the rest of the configuration is the platform's usual environment.
 */
import { loadConfig } from '../config.ts'
import { createPlatform } from '../platform.ts'
import { serveUntilSignalled } from '../run.ts'
import { socketEcho } from '../sockets/test-socket-echo.ts'

const base = loadConfig()
const platform = await createPlatform(
  { ...base, modules: [socketEcho.name], databaseUrls: { [socketEcho.name]: process.env.SOCKET_ECHO_DATABASE_URL } },
  [socketEcho],
)
const server = serveUntilSignalled(platform)
platform.log.info({ url: server.url.href }, 'socket echo listening')
