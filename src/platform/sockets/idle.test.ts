import { afterAll, beforeAll, expect, test } from 'bun:test'
import { connect } from 'node:net'
import { createTestPlatform, type TestPlatform } from '../testing/harness.ts'
import { freePort } from '../testing/processes.ts'
import { connectSocket } from '../testing/ws-client.ts'
import { SOCKET_ECHO_PATH, socketEcho } from './test-socket-echo.ts'

const IDLE_SECONDS = 8
let t: TestPlatform
let port: number

beforeAll(async () => {
  t = await createTestPlatform([socketEcho], { WS_IDLE_TIMEOUT_SECONDS: String(IDLE_SECONDS) })
  port = freePort()
  t.platform.serve({ port, hostname: '127.0.0.1' })
})
afterAll(() => t.close())

/** A client that completes the handshake and then never answers anything (a peer gone silent). */
function silentPeer(): Promise<{ closed: Promise<number> }> {
  return new Promise((opened, fail) => {
    const started = performance.now()
    const socket = connect({ host: '127.0.0.1', port }, () =>
      socket.write(
        `GET ${SOCKET_ECHO_PATH}?name=silent HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      ),
    )
    const closed = new Promise<number>((done) => socket.once('close', () => done((performance.now() - started) / 1000)))
    socket.once('data', (chunk) => (String(chunk).startsWith('HTTP/1.1 101') ? opened({ closed }) : fail(new Error(String(chunk)))))
    socket.once('error', fail)
  })
}

test(`WS_IDLE_TIMEOUT_SECONDS: a silent peer is closed after it; a client answering the server's pings stays`, async () => {
  const live = await connectSocket(`ws://127.0.0.1:${port}${SOCKET_ECHO_PATH}?name=live`)
  const silent = await silentPeer()
  const seconds = await Promise.race([silent.closed, Bun.sleep(3 * IDLE_SECONDS * 1000).then(() => Infinity)])
  // uSockets counts timeouts in 4 s ticks, so the close lands within the last tick before the timeout.
  expect(seconds).toBeGreaterThanOrEqual(IDLE_SECONDS - 4)
  expect(seconds).toBeLessThan(2 * IDLE_SECONDS + 2)
  // Bun's client answered the pings: still open, and still served.
  expect(live.socket.readyState).toBe(WebSocket.OPEN)
  live.send('still here')
  expect(await live.waitFor((frame) => frame === 'still here')).toBe('still here')
  await live.close()
}, 60_000)
