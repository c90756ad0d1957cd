/**
 * Answers that do not come from the platform's fetch, over real sockets: refused WebSocket
 * upgrades (by a module, or by the seam for a request that is no upgrade) carry the security
 * headers and an X-Request-Id as every other answer does.
 *
 * Bun's own 413 for a body over MAX_BODY_BYTES is not among them: Bun answers it before any
 * JavaScript runs (neither `fetch` nor Bun.serve's `error` handler is called), with no body and
 * only `Connection: close`, so no header can be added to it. The last test pins that, so a Bun
 * that starts calling JavaScript there is noticed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { ECHO_PROTOCOL, SOCKET_ECHO_PATH, socketEcho } from '../src/platform/sockets/test-socket-echo.ts'
import { createTestPlatform, type TestPlatform } from '../src/platform/testing/harness.ts'
import { freePort } from '../src/platform/testing/processes.ts'
import { rawUpgrade } from '../src/platform/testing/ws-client.ts'

let t: TestPlatform
let port: number
beforeAll(async () => {
  t = await createTestPlatform([socketEcho], { MAX_BODY_BYTES: '2048' })
  port = freePort()
  t.platform.serve({ port, hostname: '127.0.0.1' })
})
afterAll(() => t.close())

const SECURITY = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' }
const securityOf = (headers: Record<string, string>) => Object.fromEntries(Object.keys(SECURITY).map((name) => [name, headers[name]]))
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

describe('refused WebSocket upgrades', () => {
  test("a module's refusal is problem+json with the security headers and a fresh request id", async () => {
    for (const path of [SOCKET_ECHO_PATH, `${SOCKET_ECHO_PATH}?name=x`]) {
      const refused = await rawUpgrade(port, path, path === SOCKET_ECHO_PATH ? {} : { protocols: ['not-echo'] })
      expect(refused.status).toBe(400)
      expect(refused.headers['content-type']).toBe('application/problem+json')
      expect(securityOf(refused.headers)).toEqual(SECURITY)
      expect(refused.headers['x-request-id']).toMatch(UUID)
    }
  })

  test("the seam's own refusal (no Sec-WebSocket-Key) too, keeping the caller's request id", async () => {
    const refused = await rawUpgrade(port, `${SOCKET_ECHO_PATH}?name=x`, { key: false })
    expect(refused.status).toBe(400)
    expect(securityOf(refused.headers)).toEqual(SECURITY)
    expect(refused.headers['x-request-id']).toMatch(UUID)

    const sent = await fetch(`http://127.0.0.1:${port}${SOCKET_ECHO_PATH}?name=x`, {
      headers: { upgrade: 'websocket', connection: 'upgrade', 'x-request-id': 'gateway-id-42' },
    })
    expect(sent.status).toBe(400)
    expect(sent.headers.get('x-request-id')).toBe('gateway-id-42')
    expect(sent.headers.get('x-content-type-options')).toBe('nosniff')
  })

  test('an accepted upgrade is still a switch (101) with the offered subprotocol', async () => {
    const accepted = await rawUpgrade(port, `${SOCKET_ECHO_PATH}?name=x`, { protocols: [ECHO_PROTOCOL] })
    expect(accepted.status).toBe(101)
    expect(accepted.headers['sec-websocket-protocol']).toBe(ECHO_PROTOCOL)
  })
})

describe('bodies over MAX_BODY_BYTES', () => {
  test("a body within the limit is answered with the headers; over it, Bun's 413 is bare (no JavaScript runs)", async () => {
    const url = `http://127.0.0.1:${port}/api/socket-echo/rooms/r/lines`
    const send = (bytes: number) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"text":"${'x'.repeat(bytes)}"}` })
    const small = await send(10)
    expect(small.status).toBe(202)
    expect(small.headers.get('x-content-type-options')).toBe('nosniff')

    const bare = await send(4096)
    expect(bare.status).toBe(413)
    expect(bare.headers.get('x-content-type-options')).toBeNull()
    expect(await bare.text()).toBe('')
  })
})
