import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createRouter } from '../http/router.ts'
import { loadConfig } from '../config.ts'
import type { ModuleDefinition } from '../module.ts'
import { createPlatform } from '../platform.ts'
import { createDatabaseFromTemplate } from '../testing/databases.ts'
import { createTestPlatform, type TestPlatform } from '../testing/harness.ts'
import { freePort } from '../testing/processes.ts'
import { connectSocket, rawUpgrade, type TestSocket } from '../testing/ws-client.ts'
import { SocketHub } from './hub.ts'
import { ECHO_PROTOCOL, SOCKET_ECHO_PATH, socketEcho } from './test-socket-echo.ts'

let t: TestPlatform
let port: number
const opened: TestSocket[] = []

beforeAll(async () => {
  t = await createTestPlatform([socketEcho])
  port = freePort()
  t.platform.serve({ port, hostname: '127.0.0.1' })
})
afterAll(async () => {
  await Promise.all(opened.map((ws) => ws.close()))
  await t.close()
})

const room = () => `r${crypto.randomUUID().slice(0, 8)}`

async function connect(name: string, options: { room?: string; protocols?: string[] } = {}): Promise<TestSocket> {
  const query = new URLSearchParams({ name, ...(options.room ? { room: options.room } : {}) })
  const ws = await connectSocket(`ws://127.0.0.1:${port}${SOCKET_ECHO_PATH}?${query}`, { protocols: options.protocols })
  opened.push(ws)
  expect(await ws.next()).toBe(`welcome ${name}`)
  return ws
}

/** Every sample of the scrape, as `name{labels}` → value. */
async function scrape(): Promise<Map<string, number>> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((res) => res.text())
  const samples = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue
    const at = line.lastIndexOf(' ')
    samples.set(line.slice(0, at), Number(line.slice(at + 1)))
  }
  return samples
}

const MODULE = 'module="socket-echo"'
const sample = (samples: Map<string, number>, name: string, labels = MODULE) => samples.get(`${name}{${labels}}`) ?? 0
/** HTTP requests the RED histogram counted, but for the scrapes themselves. */
const httpRequests = (samples: Map<string, number>) =>
  [...samples]
    .filter(([key]) => key.startsWith('http_request_duration_seconds_count{') && !key.includes('route="/metrics"'))
    .reduce((sum, [, n]) => sum + n, 0)

describe('sockets served by the platform', () => {
  test('frames go both ways, text and binary; the subprotocol is echoed when offered, none when not', async () => {
    const ada = await connect('ada', { protocols: [ECHO_PROTOCOL] })
    expect(ada.protocol).toBe(ECHO_PROTOCOL)
    ada.send('hello')
    expect(await ada.next()).toBe('hello')
    ada.send(new Uint8Array([1, 2, 3]))
    expect(await ada.next()).toEqual(new Uint8Array([1, 2, 3]))

    // Bun would echo the first offered subprotocol on its own; a module that picks none gets none.
    const bob = await connect('bob')
    expect(bob.protocol).toBe('')
    const raw = await rawUpgrade(port, `${SOCKET_ECHO_PATH}?name=raw`)
    expect(raw.status).toBe(101)
    expect(raw.headers['sec-websocket-protocol']).toBeUndefined()
    const offered = await rawUpgrade(port, `${SOCKET_ECHO_PATH}?name=raw`, { protocols: ['other', 'echo'] })
    expect(offered.headers['sec-websocket-protocol']).toBe('echo')
  })

  test("a room's line reaches each of its sockets (the sender's too), through pub/sub, and no other room", async () => {
    const [here, there] = [room(), room()]
    const ada = await connect('ada', { room: here })
    const bob = await connect('bob', { room: here })
    const eve = await connect('eve', { room: there })
    ada.send('all hi')
    expect(await ada.next()).toBe('ada: hi')
    expect(await bob.next()).toBe('ada: hi')

    const said = await fetch(`http://127.0.0.1:${port}/api/socket-echo/rooms/${here}/lines`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'from http' }),
    })
    expect(said.status).toBe(202)
    expect(await bob.next()).toBe('from http')
    // eve's first frame after her welcome is her own echo: nothing of the other room came before it.
    eve.send('ping')
    expect(await eve.next()).toBe('ping')
  })

  test('refusals are plain HTTP 4xx problems, counted per module; connect rejects', async () => {
    const noName = await rawUpgrade(port, SOCKET_ECHO_PATH)
    expect(noName.status).toBe(400)
    expect(noName.headers['content-type']).toBe('application/problem+json')
    expect(JSON.parse(noName.body)).toMatchObject({ status: 400, detail: 'name: expected a query parameter' })

    const wrongProtocol = await rawUpgrade(port, `${SOCKET_ECHO_PATH}?name=x`, { protocols: ['irc'] })
    expect(wrongProtocol.status).toBe(400)
    expect(JSON.parse(wrongProtocol.body).detail).toContain('Sec-WebSocket-Protocol')

    // A handshake Bun cannot complete (no Sec-WebSocket-Key) is refused by the platform.
    const invalid = await rawUpgrade(port, `${SOCKET_ECHO_PATH}?name=x`, { key: false })
    expect(invalid.status).toBe(400)
    expect(invalid.headers['content-type']).toBe('application/problem+json')

    await expect(connectSocket(`ws://127.0.0.1:${port}${SOCKET_ECHO_PATH}`)).rejects.toThrow('upgrade failed')
  })

  test('metrics move per module: connections, refusals, frames in and out; upgrades are not HTTP requests', async () => {
    const before = await scrape()
    const here = room()
    const ada = await connect('ada', { room: here })
    const bob = await connect('bob', { room: here })
    await rawUpgrade(port, SOCKET_ECHO_PATH)
    ada.send('one')
    expect(await ada.next()).toBe('one')
    ada.send('all two')
    expect(await ada.next()).toBe('ada: two')
    expect(await bob.next()).toBe('ada: two')
    const during = await scrape()

    expect(sample(during, 'websocket_connections') - sample(before, 'websocket_connections')).toBe(2)
    const refused = (s: Map<string, number>) => sample(s, 'websocket_upgrades_refused_total', `${MODULE},status="400"`)
    expect(refused(during) - refused(before)).toBe(1)
    expect(sample(during, 'websocket_frames_received_total') - sample(before, 'websocket_frames_received_total')).toBe(2)
    // Two welcomes, one echo, and the published line once per subscriber (two).
    expect(sample(during, 'websocket_frames_sent_total') - sample(before, 'websocket_frames_sent_total')).toBe(5)
    // Neither the upgrades nor the refusal went into the RED histogram (as platform, 101 or anything).
    expect(httpRequests(during)).toBe(httpRequests(before))
    expect([...during.keys()].some((key) => key.startsWith('websocket_') && key.includes('module="platform"'))).toBe(false)

    await Promise.all([ada.close(), bob.close()])
    // The server sees the closes a moment after the clients do.
    let after = await scrape()
    for (let i = 0; i < 50 && sample(after, 'websocket_connections') !== sample(before, 'websocket_connections'); i++) {
      await Bun.sleep(20)
      after = await scrape()
    }
    expect(sample(after, 'websocket_connections')).toBe(sample(before, 'websocket_connections'))
  })

  test('ModuleContext.sockets before serving: publish reaches nobody, returns 0 and counts nothing', () => {
    const counts = { open: 0, framesIn: 0, framesOut: 0, refused: new Map() }
    const hub = new SocketHub('socket-echo', counts, undefined)
    expect(hub.publish('room:lobby', 'nobody')).toBe(0)
    expect(hub.subscriberCount('room:lobby')).toBe(0)
    expect(counts.framesOut).toBe(0)
  })
})

describe('several socket modules in one process', () => {
  // A second module on its own path, with the same code: same topic names, same channel names.
  const twin = { ...socketEcho, name: 'socket-twin', prefixes: [], websocket: '/socket-twin' }

  test('each path is its module: topics, pub/sub channels and metrics do not cross', async () => {
    const both = await createTestPlatform([socketEcho, twin])
    const bothPort = freePort()
    both.platform.serve({ port: bothPort, hostname: '127.0.0.1' })
    try {
      const open = async (path: string, name: string) => {
        const ws = await connectSocket(`ws://127.0.0.1:${bothPort}${path}?name=${name}&room=same`)
        expect(await ws.next()).toBe(`welcome ${name}`)
        return ws
      }
      const echo = await open(SOCKET_ECHO_PATH, 'ada')
      const twinSocket = await open('/socket-twin', 'bob')
      echo.send('all only echo')
      expect(await echo.next()).toBe('ada: only echo')
      twinSocket.send('ping')
      expect(await twinSocket.next()).toBe('ping') // nothing of the other module's room came first

      const text = await fetch(`http://127.0.0.1:${bothPort}/metrics`).then((res) => res.text())
      expect(text).toContain('websocket_connections{module="socket-echo"} 1')
      expect(text).toContain('websocket_connections{module="socket-twin"} 1')
      expect(text).toContain('websocket_frames_received_total{module="socket-twin"} 1')
      await Promise.all([echo.close(), twinSocket.close()])
    } finally {
      await both.close()
    }
  })

  test('a module declaring a websocket path without sockets, or two on one path, stops start-up', async () => {
    const database = await createDatabaseFromTemplate(twin.name, twin.migrations)
    try {
      const start = (definitions: ModuleDefinition[]) => {
        const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: '.data/test' })
        const databaseUrls = Object.fromEntries(definitions.map((d) => [d.name, database.url]))
        return createPlatform({ ...config, modules: definitions.map((d) => d.name), databaseUrls }, definitions)
      }
      const silent = { ...twin, create: () => ({ routes: createRouter() }) }
      await expect(start([silent])).rejects.toThrow("declares websocket '/socket-twin' but returned no sockets")
      await expect(start([socketEcho, { ...twin, websocket: SOCKET_ECHO_PATH }])).rejects.toThrow(
        `both declare websocket '${SOCKET_ECHO_PATH}'`,
      )
    } finally {
      await database.drop()
    }
  })
})
