import { afterEach, describe, expect, test } from 'bun:test'
import postgres from 'postgres'
import { ConfigError, loadConfig } from './config.ts'
import { PLATFORM_MIGRATIONS, readJournal } from './db/migrate.ts'
import { createPlatform } from './platform.ts'
import { testAdminUrl } from './testing/databases.ts'
import { probeConsumer, probeProducer, waitFor } from './events/test-probe.ts'
import { probeModule } from './testing/fixtures/probe-module.ts'
import { createTestPlatform, testRedisUrl, type TestPlatform } from './testing/harness.ts'

const opened: TestPlatform[] = []
afterEach(async () => {
  await Promise.all(opened.splice(0).map((t) => t.close()))
})

async function platform(env: Record<string, string> = {}): Promise<TestPlatform> {
  const t = await createTestPlatform([probeModule], env)
  opened.push(t)
  return t
}

type Readiness = { status: string; checks: Record<string, string> }

async function readyz(t: TestPlatform): Promise<{ status: number; body: Readiness }> {
  const res = await t.request('/readyz')
  return { status: res.status, body: (await res.json()) as Readiness }
}

/** A loopback port nothing listens on. */
function closedPort(): number {
  const listener = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = listener.port
  listener.stop(true)
  return port
}

describe('/healthz', () => {
  test('answers while the process is alive', async () => {
    const t = await platform()
    const res = await t.request('/healthz')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok' })
  })
})

describe('/readyz', () => {
  test('200 when every module database is up and migrated', async () => {
    const t = await platform()
    expect(await readyz(t)).toEqual({ status: 200, body: { status: 'ready', checks: { probe_db: 'ok' } } })
  })

  test('503 naming the database when a module database is unreachable', async () => {
    const t = await platform()
    const [row] = await t.sql.probe!`select current_database() as name`
    const admin = postgres(testAdminUrl(), { max: 1, onnotice: () => {} })
    await admin.unsafe(`drop database "${row!.name}" with (force)`).finally(() => admin.end())

    const { status, body } = await readyz(t)
    expect(status).toBe(503)
    expect(body.status).toBe('not ready')
    expect(body.checks.probe_db).toStartWith('down: ')
  })

  test('503 when a migration is recorded as missing', async () => {
    const t = await platform()
    await t.sql.probe!`delete from drizzle.__drizzle_migrations where id = (select max(id) from drizzle.__drizzle_migrations)`
    // The platform's own migrations count too: they run in every module database.
    const all = readJournal(PLATFORM_MIGRATIONS).entries.length + 2
    expect(await readyz(t)).toEqual({ status: 503, body: { status: 'not ready', checks: { probe_db: `migrations ${all - 1}/${all}` } } })
  })

  test('checks Redis when one is configured', async () => {
    const url = testRedisUrl('/readyz with Redis')
    if (!url) return
    const t = await platform({ REDIS_URL: url })
    expect(await readyz(t)).toEqual({ status: 200, body: { status: 'ready', checks: { probe_db: 'ok', redis: 'ok', pubsub: 'ok', revocations: 'ok' } } })
  })

  test('reports the events of modules that exchange them: transport and relay', async () => {
    const t = await createTestPlatform([probeProducer, probeConsumer('readyz')])
    opened.push(t)
    await waitFor('the relay to have run', async () => (await readyz(t)).status === 200)
    expect(await readyz(t)).toEqual({
      status: 200,
      body: { status: 'ready', checks: { 'probe-producer_db': 'ok', 'probe-consumer_db': 'ok', events_transport: 'ok', 'events_relay_probe-producer': 'ok' } },
    })
  })

  test('503 when the configured Redis does not answer', async () => {
    const t = await platform({ REDIS_URL: `redis://127.0.0.1:${closedPort()}` })
    const { status, body } = await readyz(t)
    expect(status).toBe(503)
    expect(body.checks.probe_db).toBe('ok')
    expect(body.checks.redis).toStartWith('down: ')
  })
})

describe('module names', () => {
  test('a module the config names but no definition was passed for stops start-up, in one line', async () => {
    const config = { ...loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: '.data/test' }), modules: ['probe', 'prob'] }
    const refused = createPlatform(config, [probeModule])
    await expect(refused).rejects.toThrow(ConfigError)
    await expect(refused).rejects.toThrow('MODULES: expected modules this build has (probe), got "prob"')
  })
})
