import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GATEWAY_CONFIG_PATH, renderGatewayConfig, type GatewayModule } from '../scripts/gateway-config.ts'
import { modules } from '../src/modules.ts'
import { users } from '../src/modules/users/index.ts'
import { createDatabaseFromTemplate } from '../src/platform/testing/databases.ts'
import { freePort, startApp } from '../src/platform/testing/processes.ts'
import { startIngest, testIngestTools, type RunningIngest } from './ingest/test-ingest.ts'
import { USERS_ALONE } from '../test/split/consumer-process.ts'
import { checkNginxConfig, startNginx, testNginx } from './test-nginx.ts'

const FIXTURE: GatewayModule[] = [
  { name: 'users', prefixes: ['/api/auth', '/api/users'] },
  { name: 'chat', prefixes: ['/api/chat'], websocket: '/' },
]

/** The committed config with every module on a loopback IP: what Debian's nginx 1.22 can run. */
const onLoopback = () =>
  renderGatewayConfig(modules, {
    upstreams: Object.fromEntries(modules.map((m, i) => [m.name, `127.0.0.1:${3000 + i}`])),
  })

/** What the app puts on every answer, and nginx on its own: one value each, never a duplicate. */
function expectSecurityHeaders(response: Response, what: string): void {
  expect(response.headers.get('x-content-type-options'), what).toBe('nosniff')
  expect(response.headers.get('referrer-policy'), what).toBe('no-referrer')
  expect(response.headers.get('cache-control'), what).toBe('no-store')
}

const withoutServerLines = (config: string) => config.split('\n').filter((line) => !/^ {2}server /.test(line))

describe('gateway config', () => {
  test('the committed deploy/nginx/gateway.conf is what the modules declare now', async () => {
    const committed = await Bun.file(GATEWAY_CONFIG_PATH).text()
    if (committed !== renderGatewayConfig(modules)) {
      throw new Error('deploy/nginx/gateway.conf is out of date with the modules: run `bun run gateway:config` and commit it')
    }
  })

  test('routes each prefix and what is under it, never a longer name', () => {
    const config = renderGatewayConfig(FIXTURE)
    expect(config).toContain('location = /api/users {\n    proxy_pass http://ondes_users;')
    expect(config).toContain('location ^~ /api/users/ {\n    proxy_pass http://ondes_users;')
    expect(config).toContain('location ^~ /api/chat/ {\n    proxy_pass http://ondes_chat;')
    expect(config).not.toMatch(/location \^~ \/api\/users \{/)
  })

  test('each module is an upstream re-resolved by name and kept alive, and requests do not close it', () => {
    const config = renderGatewayConfig(FIXTURE)
    expect(config).toContain(
      'upstream ondes_users {\n  zone ondes_users 64k;\n  server users:3000 resolve;\n  keepalive 32;\n  keepalive_timeout 5s;\n}',
    )
    expect(config).toContain('  server chat:3000 resolve;')
    // The resolver `resolve` needs; the upstreams sit in `http`, beside the server.
    expect(config).toContain('resolver 127.0.0.11 valid=10s ipv6=off;')
    expect(config.indexOf('upstream ondes_chat {')).toBeLessThan(config.indexOf('server {'))
    expect(config).toContain('  proxy_http_version 1.1;\n  proxy_set_header Connection "";')
    expect(config).not.toContain('$module_')
  })

  test('a module declaring a WebSocket path gets an upgrade location with every forwarded header', () => {
    const config = renderGatewayConfig(FIXTURE)
    const socket = config.match(/ {2}location = \/ \{\n([\s\S]*?)\n {2}\}/)?.[1]
    expect(socket).toBeDefined()
    for (const line of [
      'proxy_set_header Upgrade $http_upgrade;',
      'proxy_set_header Connection $gateway_connection;',
      'proxy_set_header X-Forwarded-For $remote_addr;',
      'proxy_set_header X-Request-Id $gateway_request_id;',
      'proxy_read_timeout 1h;',
      'proxy_pass http://ondes_chat;',
    ]) {
      expect(socket).toContain(line)
    }
    // Upgrade asked for: `upgrade`; otherwise no Connection header, so the connection is kept.
    expect(config).toContain("map $http_upgrade $gateway_connection {\n  default upgrade;\n  ''      '';\n}")
    expect(renderGatewayConfig([FIXTURE[0] as GatewayModule])).not.toContain('Upgrade')
  })

  test('upstreams and the listen address can be pointed elsewhere; IP literals are not re-resolved', () => {
    const config = renderGatewayConfig(FIXTURE, {
      listen: '127.0.0.1:8081',
      upstreams: { chat: '127.0.0.1:4002', users: '[::1]:4003' },
    })
    expect(config).toContain('listen 127.0.0.1:8081;')
    expect(config).toContain('  server 127.0.0.1:4002;\n')
    expect(config).toContain('  server [::1]:4003;\n')
    expect(renderGatewayConfig(FIXTURE, { upstreams: { chat: 'chat.internal:4002' } })).toContain(
      '  server chat.internal:4002 resolve;\n',
    )
  })

  test('with loopback upstreams, the config differs from the committed one only in its server lines', async () => {
    const committed = await Bun.file(GATEWAY_CONFIG_PATH).text()
    expect(withoutServerLines(onLoopback())).toEqual(withoutServerLines(committed))
    expect(onLoopback()).not.toContain(' resolve;')
  })

  test('refuses a path two modules claim and a path that is not plain', () => {
    expect(() => renderGatewayConfig([...FIXTURE, { name: 'streams', prefixes: ['/api/users'] }])).toThrow(
      'streams: "/api/users" is already routed to users',
    )
    expect(() => renderGatewayConfig([{ name: 'streams', prefixes: ['/hls'] }])).toThrow(
      'streams: "/hls" is already routed to the ingest service (HLS)',
    )
    for (const bad of ['/api/x;', 'api/x', '/api/x/', '/api//x', '/api/{id}']) {
      expect(() => renderGatewayConfig([{ name: 'users', prefixes: [bad] }])).toThrow('is not a gateway path')
    }
  })

  test('never routes /metrics, whatever a module declares', () => {
    for (const path of ['/metrics', '/metrics/users']) {
      expect(() => renderGatewayConfig([{ name: 'users', prefixes: [path] }])).toThrow('is never routed by the gateway')
      expect(() => renderGatewayConfig([{ name: 'chat', prefixes: ['/api/chat'], websocket: path }])).toThrow(
        'is never routed by the gateway',
      )
    }
    expect(renderGatewayConfig([{ name: 'users', prefixes: ['/metricsx'] }])).toContain('location ^~ /metricsx/ {')
    for (const config of [renderGatewayConfig(modules), renderGatewayConfig(FIXTURE)]) expect(config).not.toMatch(/location[^{]*\/metrics/)
  })
})

describe('gateway under nginx', () => {
  const nginx = testNginx('gateway config under nginx')

  // Debian's 1.22 rejects `resolve` (open-source nginx has it from 1.27.3, the compose image
  // runs 1.28), so it checks the committed config with its upstreams on loopback IPs.
  test.skipIf(!nginx)(
    'nginx -t accepts the committed config (upstreams on loopback) and a fixture with a WebSocket module',
    async () => {
      const fixture = renderGatewayConfig(FIXTURE, {
        listen: `127.0.0.1:${freePort()}`,
        upstreams: { users: '127.0.0.1:3000', chat: '127.0.0.1:3001' },
      })
      for (const config of [onLoopback(), fixture]) {
        const result = await checkNginxConfig(nginx as string, config)
        expect(result.output).toContain('test is successful')
        expect(result.ok).toBe(true)
      }
    },
    30_000,
  )
})

describe('through the gateway: a split users process and a WebSocket module', () => {
  const nginx = testNginx('gateway end-to-end')
  const started: Array<() => unknown> = []
  let gateway = ''
  let gatewayLog: () => string = () => ''
  let usersPort = 0
  const upgrades: Headers[] = []
  /** The gateway's source port of each request chat saw: one port, one kept connection. */
  const chatPorts: number[] = []

  beforeAll(async () => {
    if (!nginx) return
    const database = await createDatabaseFromTemplate('users', users.migrations)
    started.push(database.drop)
    const dataDir = mkdtempSync(join(tmpdir(), 'ondes-gateway-'))
    started.push(() => rmSync(dataDir, { recursive: true, force: true }))

    usersPort = freePort()
    const app = startApp({
      MODULES: 'users',
      HOST: '127.0.0.1',
      PORT: String(usersPort),
      USERS_DATABASE_URL: database.url,
      DATA_DIR: dataDir,
      DB_POOL_MAX: '2',
      TRUST_PROXY: 'true',
      LOG_LEVEL: 'warn',
      // Other tests register from 127.0.0.1 too, through the same Redis.
      AUTH_ATTEMPTS_PER_MINUTE: '1000',
      // A split process talks to the others through Redis when there is one.
      ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
      // Without Redis, src/main.ts refuses users alone (its consumers run elsewhere): users as built before them.
    }, process.env.REDIS_URL ? 'src/main.ts' : USERS_ALONE)
    // The app drains and closes its pool on SIGTERM; the database is dropped after.
    started.unshift(async () => {
      app.child.kill('SIGTERM')
      await app.exited
    })
    await app.waitUntilReady()

    // Stands in for chat until it exists: echoes frames, answers the `irc` subprotocol as chat will.
    const chat = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch(request, server) {
        chatPorts.push(server.requestIP(request)?.port ?? 0)
        if (request.headers.get('upgrade') === null) return new Response('chat')
        upgrades.push(request.headers)
        if (server.upgrade(request, { headers: { 'Sec-WebSocket-Protocol': 'irc' }, data: undefined })) return undefined
        return new Response('expected a WebSocket upgrade', { status: 426 })
      },
      websocket: { message: (socket, message) => void socket.send(message) },
    })
    started.unshift(() => chat.stop(true))

    const port = freePort()
    // streams points at a port nothing listens on: a module that is down.
    const config = renderGatewayConfig([...FIXTURE, { name: 'streams', prefixes: ['/api/streams'] }], {
      listen: `127.0.0.1:${port}`,
      upstreams: { users: `127.0.0.1:${usersPort}`, chat: `127.0.0.1:${chat.port}`, streams: `127.0.0.1:${freePort()}` },
    })
    gateway = `http://127.0.0.1:${port}`
    const running = await startNginx(nginx, config, `${gateway}/healthz`)
    started.unshift(running.stop)
    gatewayLog = running.stdout
  }, 90_000)

  afterAll(async () => {
    for (const stop of started) await stop()
  }, 30_000)

  test.skipIf(!nginx)(
    "its access log, on nginx's stdout, names each request's id and the module's address",
    async () => {
      const id = `gateway-log-${crypto.randomUUID()}`
      expect((await fetch(`${gateway}/api/users/1`, { headers: { 'x-request-id': id } })).status).toBe(404)
      expect((await fetch(`${gateway}/nowhere`)).status).toBe(404)
      // Buffered: the lines arrive within the flush interval (1 s).
      const deadline = Date.now() + 5_000
      while (!gatewayLog().includes(id) && Date.now() < deadline) await Bun.sleep(100)
      const lines = gatewayLog().split('\n')
      const line = lines.find((l) => l.includes(`request_id=${id} `)) ?? ''
      expect(line).toContain('"GET /api/users/1 HTTP/1.1" 404')
      expect(line).toMatch(/upstream=127\.0\.0\.1:\d+ upstream_time=\d+\.\d{3}$/)
      // A path no module serves is answered by nginx itself, with an id of its own making.
      const unrouted = lines.find((l) => l.includes('"GET /nowhere HTTP/1.1" 404')) ?? ''
      expect(unrouted).toMatch(/request_id=[0-9a-f]{32} upstream=- upstream_time=-$/)
    },
    30_000,
  )

  test.skipIf(!nginx)(
    'registers, reads the profile back, and records the address the gateway saw',
    async () => {
      const registered = await fetch(`${gateway}/api/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9', 'x-request-id': 'gateway-test-1' },
        body: JSON.stringify({ login: 'viagateway', email: 'via@gateway.test', password: 'correct horse battery' }),
      })
      expect(registered.status).toBe(201)
      expect(registered.headers.get('x-request-id')).toBe('gateway-test-1')
      const { data } = (await registered.json()) as { data: { user_id: string; access_token: string } }

      const profile = await fetch(`${gateway}/api/users/${data.user_id}`)
      expect(profile.status).toBe(200)
      expect(((await profile.json()) as { data: { login: string } }).data.login).toBe('viagateway')
      // No id from the client: the gateway makes one and the app keeps it.
      expect(profile.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/)

      // The client's own X-Forwarded-For never reaches the app: rate limits and sessions see the real peer.
      const sessions = await fetch(`${gateway}/api/auth/sessions`, { headers: { authorization: `Bearer ${data.access_token}` } })
      expect(sessions.status).toBe(200)
      const listed = (await sessions.json()) as { data: Array<{ ip: string | null }> }
      expect(listed.data.map((s) => s.ip)).toEqual(['127.0.0.1'])
    },
    30_000,
  )

  test.skipIf(!nginx)(
    'answers unknown paths and /metrics itself with a 404 problem, and /healthz with 200',
    async () => {
      // The users process serves /metrics on its public port (no METRICS_PORT): the gateway still never passes it on.
      expect((await fetch(`http://127.0.0.1:${usersPort}/metrics`)).status).toBe(200)
      for (const path of ['/nope', '/api/usersx', '/metrics', '/metrics/', '/metrics?name=x', '/api']) {
        const response = await fetch(`${gateway}${path}`)
        expect(response.status, path).toBe(404)
        expect(response.headers.get('content-type')).toBe('application/problem+json')
        expectSecurityHeaders(response, path)
        expect(((await response.json()) as { status: number }).status).toBe(404)
      }
      const health = await fetch(`${gateway}/healthz`)
      expect(health.status).toBe(200)
      expectSecurityHeaders(health, '/healthz')
      expect(await health.json()).toEqual({ status: 'ok' })
    },
    30_000,
  )

  test.skipIf(!nginx)(
    "a module's answers keep the app's security headers, once each",
    async () => {
      for (const [path, status] of [['/api/users/999999999', 404], ['/api/users?login=viagateway', 200]] as const) {
        const response = await fetch(`${gateway}${path}`)
        expect(response.status, path).toBe(status)
        expectSecurityHeaders(response, path)
        await response.arrayBuffer()
      }
    },
    30_000,
  )

  test.skipIf(!nginx)(
    'answers for a module that is down with a 503 problem',
    async () => {
      const response = await fetch(`${gateway}/api/streams/live`)
      expect(response.status).toBe(503)
      expect(response.headers.get('content-type')).toBe('application/problem+json')
      expectSecurityHeaders(response, '/api/streams/live')
      expect(((await response.json()) as { title: string }).title).toBe('Service Unavailable')
    },
    30_000,
  )

  test.skipIf(!nginx)(
    'keeps upstream connections: plain requests to a module, its WebSocket path included, share one',
    async () => {
      chatPorts.length = 0
      for (const path of ['/api/chat/a', '/', '/api/chat/b', '/', '/api/chat/c']) {
        const response = await fetch(`${gateway}${path}`)
        expect(response.status, path).toBe(200)
        expect(await response.text()).toBe('chat')
      }
      expect(chatPorts).toHaveLength(5)
      expect(new Set(chatPorts).size).toBe(1)
    },
    30_000,
  )

  test.skipIf(!nginx)(
    'upgrades WebSockets on the declared path, after kept connections, and forwards the client address and request id',
    async () => {
      const socket = new WebSocket(`${gateway.replace('http', 'ws')}/`, ['irc'])
      const echoed = await new Promise<string>((resolveEcho, reject) => {
        socket.onopen = () => socket.send('PING :tmi.twitch.tv')
        socket.onmessage = (event) => resolveEcho(String(event.data))
        socket.onerror = () => reject(new Error('WebSocket through the gateway failed'))
      })
      expect(socket.protocol).toBe('irc')
      expect(echoed).toBe('PING :tmi.twitch.tv')
      socket.close()
      const headers = upgrades.at(-1)
      expect(headers?.get('x-forwarded-for')).toBe('127.0.0.1')
      expect(headers?.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/)
      expect(headers?.get('connection')?.toLowerCase()).toBe('upgrade')
      // The upgraded connection is the socket's alone: plain requests still get a kept one.
      expect(await (await fetch(`${gateway}/`)).text()).toBe('chat')
    },
    30_000,
  )
})

describe('through the gateway: HLS from the ingest service', () => {
  const tools = testIngestTools('HLS through the gateway (nginx-rtmp behind nginx)')
  const started: (() => Promise<void>)[] = []
  let gateway: string
  let ingest: RunningIngest

  beforeAll(async () => {
    if (!tools) return
    // The real ingest server's HTTP side, serving what nginx-rtmp writes under the login.
    ingest = await startIngest(tools.nginx, { callbackUrl: `http://127.0.0.1:${freePort()}`, secret: 'g'.repeat(43), updateInterval: '30s' })
    started.unshift(ingest.stop)
    mkdirSync(join(ingest.hlsPath, 'ada_live'))
    writeFileSync(join(ingest.hlsPath, 'ada_live', 'index.m3u8'), '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n1.ts\n')
    writeFileSync(join(ingest.hlsPath, 'ada_live', '1.ts'), new Uint8Array(188).fill(0x47))
    const port = freePort()
    gateway = `http://127.0.0.1:${port}`
    const config = renderGatewayConfig(FIXTURE, {
      listen: `127.0.0.1:${port}`,
      upstreams: { users: `127.0.0.1:${freePort()}`, chat: `127.0.0.1:${freePort()}` },
      hls: new URL(ingest.httpUrl).host,
    })
    started.unshift((await startNginx(tools.nginx, config, `${gateway}/healthz`)).stop)
  }, 30_000)
  afterAll(async () => {
    for (const stop of started) await stop()
  })

  test.skipIf(!tools)('/hls/<login>/ serves the playlist and its segments as the ingest service does', async () => {
    const playlist = await fetch(`${gateway}/hls/ada_live/index.m3u8`)
    expect(playlist.status).toBe(200)
    expect(playlist.headers.get('content-type')).toBe('application/vnd.apple.mpegurl')
    // Players on other origins read it, and never a stale playlist.
    expect(playlist.headers.get('access-control-allow-origin')).toBe('*')
    expect(playlist.headers.get('cache-control')).toBe('no-cache')
    expect(await playlist.text()).toStartWith('#EXTM3U')
    const segment = await fetch(`${gateway}/hls/ada_live/1.ts`)
    expect(segment.headers.get('content-type')).toBe('video/mp2t')
    expect((await segment.arrayBuffer()).byteLength).toBe(188)
    expect((await fetch(`${gateway}/hls/nobody/index.m3u8`)).status).toBe(404)
    // Only /hls/: the ingest service's control API is not behind the gateway.
    const control = await fetch(`${gateway}/control/drop/publisher?app=ingest&name=ada_live`)
    expect(control.status).toBe(404)
    expect(control.headers.get('content-type')).toBe('application/problem+json')
  })

  test.skipIf(!tools)('the ingest service down: HLS answers 503 as a problem, like a module that is down', async () => {
    await ingest.stop()
    const res = await fetch(`${gateway}/hls/ada_live/index.m3u8`)
    expect(res.status).toBe(503)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
  })
})
