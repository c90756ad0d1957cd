import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { resolve } from 'node:path'
import { createDatabaseFromTemplate } from '../testing/databases.ts'
import { freePort, halfSentRequest, startApp } from '../testing/processes.ts'
import { connectSocket } from '../testing/ws-client.ts'
import { SOCKET_ECHO_PATH, socketEcho } from './test-socket-echo.ts'

const ENTRY = 'src/platform/testing/socket-echo-main.ts'
const cleanups: (() => unknown)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

test('SIGTERM: the in-flight request is answered, then each socket gets RECONNECT and a 1001 close frame; exit 0', async () => {
  const database = await createDatabaseFromTemplate(socketEcho.name, socketEcho.migrations)
  cleanups.push(() => database.drop())
  const dataDir = mkdtempSync(resolve(tmpdir(), 'ondes-sockets-'))
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
  const port = freePort()
  const app = startApp(
    { PORT: String(port), HOST: '127.0.0.1', SOCKET_ECHO_DATABASE_URL: database.url, LOG_LEVEL: 'info', DATA_DIR: dataDir },
    ENTRY,
  )
  cleanups.push(() => app.child.kill('SIGKILL'))
  await app.waitUntilReady()

  const clients = await Promise.all(
    ['ada', 'bob'].map((name) => connectSocket(`ws://127.0.0.1:${port}${SOCKET_ECHO_PATH}?name=${name}&room=last`)),
  )
  const events: string[] = []
  for (const [i, ws] of clients.entries()) {
    await ws.next() // welcome
    void ws.closed.then(({ code }) => events.push(`close ${i} ${code}`))
  }

  const inFlight = halfSentRequest(port, '/api/socket-echo/rooms/last/lines', JSON.stringify({ text: 'last words' }))
  await Bun.sleep(300) // The server has the headers and half the body.
  app.child.kill('SIGTERM')
  await app.waitForLine(/shutting down/)
  // The sockets stay open while the request is in flight.
  await Bun.sleep(200)
  expect(events).toEqual([])
  expect(clients.every((ws) => ws.socket.readyState === WebSocket.OPEN)).toBe(true)

  inFlight.finish()
  const { status } = await inFlight.response
  events.push(`http ${status}`)
  for (const ws of clients) {
    // The in-flight request's line still reached the room, then the module's goodbye came.
    expect(await ws.next()).toBe('last words')
    expect(await ws.next()).toBe('RECONNECT')
    expect(await ws.closed).toEqual({ code: 1001, reason: 'going away' })
  }
  // The answer and the close frames travel on different connections: the client may read them in
  // either order. That the sockets waited for the request is the 'last words' before RECONNECT.
  expect(events.sort()).toEqual(['close 0 1001', 'close 1 1001', 'http 202'])
  expect(await app.exited).toBe(0)
  expect(app.stdout.join('\n')).toContain('"msg":"stopped"')
}, 60_000)
