import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { resolve } from 'node:path'
import { SOCKET_ECHO_PATH, socketEcho } from '../sockets/test-socket-echo.ts'
import { createDatabaseFromTemplate } from '../testing/databases.ts'
import { testRedisUrl } from '../testing/harness.ts'
import { accepts, freePort, startApp, type AppProcess } from '../testing/processes.ts'
import { connectSocket, type TestSocket } from '../testing/ws-client.ts'

const ENTRY = 'src/platform/testing/socket-echo-main.ts'
const cleanups: (() => unknown)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** Two replicas of socket-echo on one database and one Redis, each with a client in `room`. */
async function twoReplicas(redisUrl: string, room: string) {
  const database = await createDatabaseFromTemplate(socketEcho.name, socketEcho.migrations)
  cleanups.push(() => database.drop())
  const dataDir = mkdtempSync(resolve(tmpdir(), 'ondes-pubsub-'))
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
  const replicas: { app: AppProcess; port: number }[] = []
  for (let i = 0; i < 2; i++) {
    const port = freePort()
    const app = startApp(
      { PORT: String(port), HOST: '127.0.0.1', SOCKET_ECHO_DATABASE_URL: database.url, REDIS_URL: redisUrl, LOG_LEVEL: 'warn', DATA_DIR: dataDir },
      ENTRY,
    )
    cleanups.push(() => app.child.kill('SIGKILL'))
    replicas.push({ app, port })
  }
  await Promise.all(replicas.map(({ app }) => app.waitUntilReady()))
  const clients: TestSocket[] = []
  for (const [i, { port }] of replicas.entries()) {
    const ws = await connectSocket(`ws://127.0.0.1:${port}${SOCKET_ECHO_PATH}?name=c${i}&room=${room}`)
    cleanups.push(() => ws.close())
    await ws.next() // welcome
    clients.push(ws)
  }
  return { replicas, clients }
}

/** Sends `all <text>` from `from` until `to` sees it (a publish made while a replica resubscribes is lost, by design). */
async function lineGetsThrough(from: TestSocket, to: TestSocket, text: string, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  for (let attempt = 0; performance.now() < deadline; attempt++) {
    from.send(`all ${text}-${attempt}`)
    try {
      await to.waitFor((frame) => typeof frame === 'string' && frame.includes(`: ${text}-`), 500)
      return
    } catch {
      // Not through yet: try again.
    }
  }
  throw new Error(`"${text}" never got through within ${timeoutMs} ms`)
}

async function readyz(port: number): Promise<{ status: number; checks: Record<string, string> }> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`)
  return { status: res.status, checks: ((await res.json()) as { checks: Record<string, string> }).checks }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(100)
  }
}

describe('pub/sub across replicas', () => {
  test("two processes on the machine's Redis see each other's messages", async () => {
    const url = testRedisUrl('pub/sub across two processes')
    if (!url) return
    const { replicas, clients } = await twoReplicas(url, `r${crypto.randomUUID().slice(0, 8)}`)
    const [a, b] = clients as [TestSocket, TestSocket]
    a.send('all from a')
    expect(await b.waitFor((frame) => frame === 'c0: from a')).toBe('c0: from a')
    expect(await a.waitFor((frame) => frame === 'c0: from a')).toBe('c0: from a')
    b.send('all from b')
    expect(await a.waitFor((frame) => frame === 'c1: from b')).toBe('c1: from b')
    expect((await readyz(replicas[0]!.port)).checks.pubsub).toBe('ok')
  }, 60_000)

  test('Redis restarts in the middle: /readyz goes not ready, then ready, and messages flow again', async () => {
    if (!testRedisUrl('pub/sub across a Redis restart')) return
    // A Redis of this test's own: the shared one is never restarted.
    const redisPort = freePort()
    const redisDir = mkdtempSync(resolve(tmpdir(), 'ondes-redis-'))
    cleanups.push(() => rmSync(redisDir, { recursive: true, force: true }))
    const startRedis = async () => {
      const server = Bun.spawn(['redis-server', '--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', redisDir], {
        stdout: 'ignore',
        stderr: 'ignore',
      })
      cleanups.push(() => server.kill('SIGKILL'))
      await until('redis-server to listen', () => accepts(redisPort))
      return server
    }
    let redis = await startRedis()
    const { replicas, clients } = await twoReplicas(`redis://127.0.0.1:${redisPort}`, 'restart')
    const [a, b] = clients as [TestSocket, TestSocket]
    await lineGetsThrough(a, b, 'before')

    redis.kill('SIGKILL')
    await redis.exited
    for (const { port } of replicas) {
      await until('/readyz to say pub/sub is down', async () => {
        const { status, checks } = await readyz(port)
        return status === 503 && (checks.pubsub ?? '').startsWith('down: ')
      })
    }

    redis = await startRedis()
    for (const { port } of replicas) {
      await until('/readyz to be ready again', async () => {
        const { status, checks } = await readyz(port)
        return status === 200 && checks.pubsub === 'ok'
      })
    }
    // Both ways: each replica's subscriber came back with its subscription.
    await lineGetsThrough(a, b, 'after')
    await lineGetsThrough(b, a, 'back')
  }, 90_000)
})
