/**
 * Two chat processes on one chat database and the machine's Redis (this test's own stream
 * prefix), as `docker compose --scale chat=2` runs them: messages cross between their clients;
 * SIGTERM one and its tmi.js clients get RECONNECT, come back through the gateway to the other,
 * and every message the dying one accepted is stored (its last batch written at shutdown).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose'
import postgres from 'postgres'
import tmi from 'tmi.js'
import { startNginx, testNginx, type RunningNginx } from '../../deploy/test-nginx.ts'
import { renderGatewayConfig } from '../../scripts/gateway-config.ts'
import { chat } from '../../src/modules/chat/index.ts'
import { parseLine } from '../../src/modules/chat/irc/message.ts'
import { chatTokenOf } from '../../src/platform/auth/chat-token.ts'
import { createAccessTokenSigner } from '../../src/platform/auth/tokens.ts'
import { createDatabaseFromTemplate } from '../../src/platform/testing/databases.ts'
import { deliver } from '../../src/platform/testing/events.ts'
import { testRedisUrl } from '../../src/platform/testing/harness.ts'
import { freePort, startApp, type AppProcess } from '../../src/platform/testing/processes.ts'
import { connectSocket, type TestSocket } from '../../src/platform/testing/ws-client.ts'
import { linesOf } from './core-fixture.ts'

const redisUrl = testRedisUrl('two chat replicas through Redis')
const nginx = testNginx('two chat replicas behind the gateway')
const cleanups: (() => Promise<unknown> | unknown)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
}, 60_000)

let database: Awaited<ReturnType<typeof createDatabaseFromTemplate>>
let sign: Awaited<ReturnType<typeof createAccessTokenSigner>>
let a: AppProcess
let b: AppProcess
let gateway: { port: number; nginx: RunningNginx }
const ports = { a: freePort(), b: freePort() }

beforeAll(async () => {
  if (!redisUrl || !nginx) return
  database = await createDatabaseFromTemplate('chat', chat.migrations)
  cleanups.push(() => database.drop())
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  sign = await createAccessTokenSigner(await exportPKCS8(pair.privateKey), { issuer: 'ondes', audience: 'ondes', ttlSeconds: 900 })
  const env = {
    MODULES: 'chat',
    CHAT_DATABASE_URL: database.url,
    REDIS_URL: redisUrl!,
    EVENTS_STREAM_PREFIX: `test:chat-replicas:${crypto.randomUUID()}`,
    JWT_PUBLIC_KEY: await exportSPKI(pair.publicKey),
    LOG_LEVEL: 'warn',
    DB_POOL_MAX: '3',
    SHUTDOWN_TIMEOUT_MS: '5000',
  }
  const start = (port: number) => {
    const app = startApp({ ...env, PORT: String(port), DATA_DIR: mkdtempSync(join(tmpdir(), 'ondes-chat-')) })
    cleanups.push(() => app.child.kill('SIGKILL'))
    return app
  }
  ;[a, b] = [start(ports.a), start(ports.b)]
  await Promise.all([a.waitUntilReady(), b.waitUntilReady()])
  const port = freePort()
  // One upstream, both replicas: a client whose replica went away is sent to the other.
  const config = renderGatewayConfig([chat], { listen: `127.0.0.1:${port}`, upstreams: { chat: `127.0.0.1:${ports.a}` }, hls: '127.0.0.1:9' }).replace(
    `server 127.0.0.1:${ports.a};`,
    `server 127.0.0.1:${ports.a};\n  server 127.0.0.1:${ports.b};`,
  )
  gateway = { port, nginx: await startNginx(nginx!, config, `http://127.0.0.1:${port}/healthz`) }
  cleanups.push(() => gateway.nginx.stop())
}, 90_000)

let nextId = 5_000_000 + Math.floor(Math.random() * 1_000_000)
async function user(login: string): Promise<{ id: string; password: string }> {
  const id = String(nextId++)
  const payload = { user_id: id, login, display_name: login, created_at: new Date().toISOString(), version: 1 }
  const { outcome } = await deliver({ databaseUrls: { chat: database.url } }, chat, 'users.registered.v1', payload)
  expect(outcome.status).toBe('handled')
  return { id, password: `oauth:${chatTokenOf(await sign({ userId: id, login, roles: [], sessionId: crypto.randomUUID() }))}` }
}

async function raw(port: number, login: string, password: string, channel: string): Promise<TestSocket> {
  const ws = await connectSocket(`ws://127.0.0.1:${port}/`, { protocols: ['irc'] })
  cleanups.push(() => ws.close())
  ws.send(`CAP REQ :twitch.tv/tags twitch.tv/commands\r\nPASS ${password}\r\nNICK ${login}\r\nJOIN #${channel}\r\n`)
  await ws.waitFor((frame) => String(frame).includes('ROOMSTATE'))
  return ws
}

function listener(port: number, channel: string): { client: tmi.Client; texts: string[] } {
  const client = new tmi.Client({
    options: { skipUpdatingEmotesets: true },
    connection: { server: '127.0.0.1', port, secure: false, reconnect: true, reconnectInterval: 200, maxReconnectInterval: 500 },
    channels: [channel],
    logger: { info: () => {}, warn: () => {}, error: () => {} },
  })
  cleanups.push(() => client.disconnect().catch(() => {}))
  const texts: string[] = []
  client.on('message', (_channel, _tags, message) => void texts.push(message))
  return { client, texts }
}

const until = async (what: string, check: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`)
    await Bun.sleep(25)
  }
}

describe.skipIf(!redisUrl || !nginx)('two chat replicas', () => {
  test('messages cross; a replica stopped sends RECONNECT, its clients move to the other, and nothing it accepted is lost', async () => {
    const owner = await user('gia')
    const onA = await user('hal')
    const onB = await user('ivy')
    const senderA = await raw(ports.a, 'hal', onA.password, 'gia')
    const senderB = await raw(ports.b, 'ivy', onB.password, 'gia')
    // Anonymous readers through the gateway, spread over both replicas by nginx.
    const readers = Array.from({ length: 4 }, () => listener(gateway.port, 'gia'))
    await Promise.all(readers.map(({ client }) => client.connect()))
    await until('every reader joined', () => readers.every(({ client }) => client.getChannels().includes('#gia')))

    // Across replicas both ways, to direct and gateway clients alike.
    // Each acknowledged before the next line, so the burst below counts only its own USERSTATEs.
    senderA.send('PRIVMSG #gia :from a')
    await senderA.waitFor((frame) => String(frame).includes('USERSTATE'))
    senderB.send('PRIVMSG #gia :from b')
    const seenByA = await senderA.waitFor((frame) => String(frame).includes('PRIVMSG #gia :from b'))
    expect(parseLine(linesOf(seenByA).find((line) => line.includes('PRIVMSG'))!)!.tags['room-id']).toBe(owner.id)
    await senderB.waitFor((frame) => String(frame).includes('PRIVMSG #gia :from a'))
    await until('readers saw both', () => readers.every(({ texts }) => texts.includes('from a') && texts.includes('from b')))

    // Replica A accepts a burst (each acknowledged by USERSTATE), then is stopped gracefully.
    let accepted = 0
    for (let i = 0; i < 15; i++) {
      senderA.send(`PRIVMSG #gia :burst ${i}`)
      await senderA.waitFor((frame) => String(frame).includes('USERSTATE'))
      accepted += 1
    }
    const reconnect = senderA.waitFor((frame) => String(frame).includes('RECONNECT'))
    a.child.kill('SIGTERM')
    await reconnect
    expect(await a.exited).toBe(0)
    const sql = postgres(database.url, { max: 1, onnotice: () => {} })
    cleanups.push(() => sql.end())
    const [stored] = await sql<{ n: number }[]>`select count(*)::int as n from chat_messages where user_id = ${onA.id} and text like 'burst %'`
    expect(stored!.n).toBe(accepted)
    await until('B had the whole burst', () => readers.every(({ texts }) => texts.filter((t) => t.startsWith('burst ')).length === 15))

    // Every reader is on B now (A is gone): it still gets the room.
    await until('readers back in the room', () => readers.every(({ client }) => client.readyState() === 'OPEN' && client.getChannels().includes('#gia')), 15_000)
    await Bun.sleep(300)
    senderB.send('PRIVMSG #gia :after the move')
    await until('readers saw the message after the move', () => readers.every(({ texts }) => texts.includes('after the move')))
  }, 60_000)
})
