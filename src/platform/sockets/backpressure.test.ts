import { afterAll, beforeAll, expect, test } from 'bun:test'
import { connect } from 'node:net'
import { createTestPlatform, type TestPlatform } from '../testing/harness.ts'
import { freePort } from '../testing/processes.ts'
import { connectSocket } from '../testing/ws-client.ts'
import { SOCKET_ECHO_PATH, socketEcho } from './test-socket-echo.ts'

let t: TestPlatform
let port: number

beforeAll(async () => {
  t = await createTestPlatform([socketEcho], { WS_BACKPRESSURE_LIMIT_BYTES: String(64 * 1024) })
  port = freePort()
  t.platform.serve({ port, hostname: '127.0.0.1' })
})
afterAll(() => t.close())

const openSockets = async () => {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((res) => res.text())
  return Number(/^websocket_connections\{module="socket-echo"\} (\d+)$/m.exec(text)?.[1])
}

test('WS_BACKPRESSURE_LIMIT_BYTES: a peer that stops reading is closed once that much is queued; a reading one is not', async () => {
  const reader = await connectSocket(`ws://127.0.0.1:${port}${SOCKET_ECHO_PATH}?name=reader&room=flood`)
  // A peer that completes the handshake, then reads nothing more: the kernel's buffers fill, then Bun's queue.
  const stalled = connect({ host: '127.0.0.1', port }, () =>
    stalled.write(
      `GET ${SOCKET_ECHO_PATH}?name=stalled&room=flood HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n` +
        'Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    ),
  )
  await new Promise((opened) => stalled.once('data', opened))
  stalled.pause()
  expect(await openSockets()).toBe(2)

  const line = 'x'.repeat(256 * 1024)
  let open = 2
  for (let i = 0; i < 200 && open === 2; i++) {
    const said = await fetch(`http://127.0.0.1:${port}/api/socket-echo/rooms/flood/lines`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: line }),
    })
    expect(said.status).toBe(202)
    await reader.waitFor((frame) => frame === line)
    open = await openSockets()
  }
  expect(open).toBe(1)
  expect(reader.socket.readyState).toBe(WebSocket.OPEN)
  stalled.destroy()
  await reader.close()
}, 60_000)
