/**
 * The monitoring stack against real servers (issue 14, "Proof"): Debian's Prometheus,
 * Alertmanager, five postgres exporters (one per module database, all on this machine's one
 * Postgres, each reading only its own database), the Redis and node exporters, and the app
 * under a light load. Every target must be up, every rule healthy and every expression
 * accepted, the seed's core queries must return data, and a database made unreachable must
 * raise PostgresDown through Alertmanager to a webhook, with that database's connection and
 * cache alerts inhibited.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import postgres from 'postgres'
import { withDatabase } from '../../src/platform/db/database.ts'
import { testAdminUrl } from '../../src/platform/testing/databases.ts'
import { testRedisUrl } from '../../src/platform/testing/harness.ts'
import { freePort, type AppProcess } from '../../src/platform/testing/processes.ts'
import {
  localPrometheusConfig,
  postgresExporter,
  shortened,
  startAlertmanager,
  startDaemon,
  startOndes,
  type Cleanup,
  type Daemon,
} from './stack.ts'
import { panelQueries } from './dashboard-queries.ts'
import { alertRules, MONITORING, prometheusTools } from './tools.ts'

const tools = prometheusTools('live monitoring stack', [
  'prometheus',
  'prometheus-alertmanager',
  'prometheus-postgres-exporter',
  'prometheus-redis-exporter',
  'prometheus-node-exporter',
])
const redisUrl = testRedisUrl('live monitoring stack (the Redis exporter reads its INFO)')

const MODULES = ['users', 'streams', 'chat', 'subscriptions', 'analytics'] as const
/** Grafana's $__rate_interval at a 2 s scrape interval (four scrapes), and $__interval. */
const WINDOWS = { rateInterval: '8s', interval: '2s' }
type Notification = { receiver: string; status: string; alerts: { status: string; labels: Record<string, string> }[] }

const cleanups: Cleanup[] = []
const notifications: Notification[] = []
const exporters = new Map<string, Daemon>()
let dir: string
let app: AppProcess
let prometheus: string
let alertmanager: string
let stopLoad = () => {}
let databaseUrls: Record<string, string>

/** The answer of Prometheus's query API, which must accept the expression. */
async function query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${prometheus}/api/v1/query?${new URLSearchParams({ query: expr })}`)
  const body = (await res.json()) as { status: string; error?: string; data?: { result: [] } }
  if (body.status !== 'success') throw new Error(`Prometheus refused ${expr}: ${body.error}`)
  return body.data?.result ?? []
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const value = await probe()
      if (value !== undefined) return value
    } catch (error) {
      last = error
    }
    await Bun.sleep(250)
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`)
}

/** Requests a client would make, a few at a time, until stopped: 2xx, 4xx, an unmatched route. */
function startLoad(baseUrl: string): () => void {
  let running = true
  const paths = ['/api/users?login=nobody', '/api/users/1', '/api/users/1/followers', '/api/streams', '/healthz', '/no/such/route']
  void (async () => {
    for (let i = 0; running; i++) {
      await Promise.all(paths.map((path) => fetch(`${baseUrl}${path}`).then((r) => r.arrayBuffer(), () => undefined)))
      await Bun.sleep(20)
    }
  })()
  return () => (running = false)
}

/** Empty databases for the modules this build does not ship yet (all but `shipped`), for their exporters to read. */
async function scratchDatabases(shipped: string[]): Promise<Record<string, string>> {
  const admin = postgres(testAdminUrl(), { max: 1, onnotice: () => {} })
  const urls: Record<string, string> = {}
  try {
    for (const module of MODULES.filter((m) => !shipped.includes(m))) {
      const name = `test_monitoring_${module}_${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`
      await admin.unsafe(`create database "${name}"`)
      cleanups.push(async () => {
        const dropper = postgres(testAdminUrl(), { max: 1, onnotice: () => {} })
        await dropper.unsafe(`drop database if exists "${name}" with (force)`).finally(() => dropper.end())
      })
      urls[module] = withDatabase(testAdminUrl(), name)
    }
  } finally {
    await admin.end()
  }
  return urls
}

describe.skipIf(!tools || !redisUrl)('the monitoring stack, live', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ondes-monitoring-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))

    const webhook = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch: async (req) => {
        notifications.push((await req.json()) as Notification)
        return new Response(null, { status: 204 })
      },
    })
    cleanups.push(() => webhook.stop(true))

    const metricsPort = freePort()
    const ondes = await startOndes(dir, cleanups, { METRICS_PORT: String(metricsPort) })
    app = ondes.app
    databaseUrls = { ...ondes.databaseUrls, ...(await scratchDatabases(Object.keys(ondes.databaseUrls))) }

    const started = await Promise.all([
      ...MODULES.map((module) => postgresExporter(tools!, `${module}-db-exporter`, databaseUrls[module]!, dir)),
      (async () => {
        const port = freePort()
        return startDaemon('redis-exporter', [tools!['prometheus-redis-exporter'], `-redis.addr=${redisUrl}`, `-web.listen-address=127.0.0.1:${port}`], port, dir)
      })(),
      (async () => {
        const port = freePort()
        return startDaemon('node-exporter', [tools!['prometheus-node-exporter'], `--web.listen-address=127.0.0.1:${port}`], port, dir)
      })(),
      startAlertmanager(tools!, `http://127.0.0.1:${webhook.port}/alerts`, dir),
    ])
    for (const daemon of started) {
      exporters.set(daemon.name, daemon)
      cleanups.push(() => exporters.get(daemon.name)?.stop())
    }
    alertmanager = `http://127.0.0.1:${exporters.get('alertmanager')!.port}`

    const rulesDir = join(dir, 'rules')
    mkdirSync(rulesDir)
    for (const file of new Bun.Glob('*.yml').scanSync(resolve(MONITORING, 'prometheus/rules'))) {
      writeFileSync(join(rulesDir, file), shortened(readFileSync(resolve(MONITORING, 'prometheus/rules', file), 'utf8'), ['for']))
    }
    const promPort = freePort()
    const local = (name: string) => `127.0.0.1:${exporters.get(name)!.port}`
    const addresses: Record<string, string> = {
      'localhost:9090': `127.0.0.1:${promPort}`,
      'alertmanager:9093': local('alertmanager'),
      'redis-exporter:9121': local('redis-exporter'),
      'node-exporter:9100': local('node-exporter'),
      ...Object.fromEntries(MODULES.map((m) => [`${m}-db-exporter:9187`, local(`${m}-db-exporter`)])),
    }
    const config = join(dir, 'prometheus.yml')
    writeFileSync(config, localPrometheusConfig(addresses, [`127.0.0.1:${metricsPort}`], rulesDir))
    const server = await startDaemon(
      'prometheus',
      [
        tools!.prometheus,
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, 'prometheus-data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      promPort,
      dir,
    )
    cleanups.push(() => server.stop())
    prometheus = `http://127.0.0.1:${promPort}`
    stopLoad = startLoad(app.baseUrl)
    cleanups.push(() => stopLoad())
  }, 60_000)

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => {})
  }, 30_000)

  test('every target is up: the app, five postgres exporters, Redis, node, Alertmanager and Prometheus itself', async () => {
    const up = await waitFor('every target up', async () => {
      const result = await query('up')
      return result.length === 10 && result.every((r) => r.value[1] === '1') ? result : undefined
    })
    expect(up.map((r) => `${r.metric.job}${r.metric.database ? `/${r.metric.database}` : ''}`).sort()).toEqual(
      ['alertmanager', 'node', 'ondes', 'prometheus', 'redis', ...MODULES.map((m) => `postgres/${m}`)].sort(),
    )
    expect((await query('pg_up')).map((r) => [r.metric.database, r.value[1]]).sort()).toEqual(MODULES.map((m) => [m, '1']).sort())
    expect(await query('redis_up')).toMatchObject([{ value: [expect.any(Number), '1'] }])
  }, 30_000)

  test('each postgres exporter reports its own database once: no row is counted five times', async () => {
    const rows = await waitFor('pg_stat_database from every exporter', async () => {
      const result = await query('count by (datname, database) (pg_stat_database_xact_commit)')
      return result.length === MODULES.length ? result : undefined
    })
    expect(rows.every((r) => r.value[1] === '1')).toBe(true)
    expect(new Set(rows.map((r) => r.metric.datname)).size).toBe(MODULES.length)
    expect(rows.map((r) => [r.metric.database, r.metric.datname]).sort()).toEqual(
      MODULES.map((m) => [m, new URL(databaseUrls[m]!).pathname.slice(1)]).sort(),
    )
  })

  test('every alert rule is loaded, evaluates without error, and its expression is accepted', async () => {
    const rules = await waitFor('every rule evaluated', async () => {
      const res = (await (await fetch(`${prometheus}/api/v1/rules?type=alert`)).json()) as {
        data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] }
      }
      const all = res.data.groups.flatMap((g) => g.rules)
      return all.length > 0 && all.every((r) => r.health === 'ok') ? all : undefined
    })
    expect(rules.map((r) => r.name).sort()).toEqual(alertRules().map((r) => r.alert).sort())
    for (const rule of alertRules()) await query(rule.expr)
  })

  test('every dashboard panel query, macros and variables substituted, is accepted by Prometheus', async () => {
    const queries = panelQueries(WINDOWS)
    expect(queries.length).toBeGreaterThan(40)
    const refused: string[] = []
    for (const q of queries) await query(q.expr).catch((error: Error) => refused.push(`${q.dashboard} / ${q.panel}: ${error.message}`))
    expect(refused).toEqual([])
  })

  test('the dashboards\' variables list what is scraped', async () => {
    for (const [label, metric, values] of [
      ['database', 'pg_up', [...MODULES]],
      ['module', 'http_request_duration_seconds_count', ['platform', 'users', 'streams']],
    ] as const) {
      const res = (await (await fetch(`${prometheus}/api/v1/label/${label}/values?${new URLSearchParams({ 'match[]': metric })}`)).json()) as { data: string[] }
      expect(res.data.sort()).toEqual(expect.arrayContaining([...values].sort()))
    }
  })

  test("the seed's core panels return data: database up, connections, transactions/s, cache hit ratio, CPU, memory, request rate, p99, pools", async () => {
    const core = [
      'PostgreSQL Microservices / Database up',
      'PostgreSQL Microservices / Active connections',
      'PostgreSQL Microservices / Transactions/s',
      'PostgreSQL Microservices / Cache hit ratio',
      'System & Infrastructure / CPU busy',
      'System & Infrastructure / Memory used',
      'System & Infrastructure / Every service up',
      'System & Infrastructure / Redis up',
      'API modules / Requests/s',
      'API modules / p99 latency',
      'API modules / Pool connections',
    ]
    const queries = panelQueries(WINDOWS).filter((q) => core.includes(`${q.dashboard} / ${q.panel}`))
    expect(new Set(queries.map((q) => `${q.dashboard} / ${q.panel}`))).toEqual(new Set(core))
    for (const q of queries) {
      const result = await waitFor(`data for ${q.dashboard} / ${q.panel}: ${q.expr}`, async () => {
        const rows = (await query(q.expr)).filter((r) => r.value[1] !== 'NaN')
        return rows.length > 0 ? rows : undefined
      })
      expect(result.length).toBeGreaterThan(0)
    }
    const requests = panelQueries(WINDOWS).find((q) => q.panel === 'Requests/s')!
    expect((await query(requests.expr)).map((r) => r.metric.module)).toContain('users')
    const databases = panelQueries(WINDOWS).find((q) => q.panel === 'Database up')!
    expect((await query(databases.expr)).map((r) => [r.metric.database, r.value[1]]).sort()).toEqual(MODULES.map((m) => [m, '1']).sort())
  }, 30_000)

  test('a database made unreachable fires PostgresDown through Alertmanager to the webhook; its connection and cache alerts are inhibited', async () => {
    // The chat exporter comes back on its port pointing at a port nothing listens on.
    const chat = exporters.get('chat-db-exporter')!
    await chat.stop()
    const closed = `postgres://postgres@127.0.0.1:${freePort()}/chat`
    exporters.set('chat-db-exporter', await postgresExporter(tools!, 'chat-db-exporter-down', closed, dir, chat.port))

    const down = await waitFor(
      'PostgresDown delivered to the webhook',
      async () => notifications.find((n) => n.alerts.some((a) => a.status === 'firing' && a.labels.alertname === 'PostgresDown')),
      30_000,
    ).catch(async (error: Error) => {
      const alerts = await (await fetch(`${prometheus}/api/v1/alerts`)).text()
      const log = readFileSync(exporters.get('alertmanager')!.log, 'utf8').slice(-3000)
      throw new Error(`${error.message}\nPrometheus alerts: ${alerts}\nwebhook got: ${JSON.stringify(notifications)}\nAlertmanager: ${log}`)
    })
    const mark = notifications.indexOf(down)
    expect(down.receiver).toBe('webhook-critical')
    expect(down.alerts.filter((a) => a.labels.alertname === 'PostgresDown').map((a) => a.labels)).toEqual([
      expect.objectContaining({ alertname: 'PostgresDown', database: 'chat', severity: 'critical', job: 'postgres' }),
    ])

    // Its siblings, as Prometheus would send them: chat's must be held back, users' must go out.
    const sibling = (alertname: string, database: string) => ({
      labels: { alertname, database, severity: 'warning', job: 'postgres', instance: `${database}-db-exporter:9187` },
      annotations: { summary: `${alertname} on ${database}` },
    })
    const posted = await fetch(`${alertmanager}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        sibling('PostgresTooManyConnections', 'chat'),
        sibling('PostgresCacheHitRatioLow', 'chat'),
        sibling('PostgresTooManyConnections', 'users'),
      ]),
    })
    expect(posted.status).toBe(200)
    const usersSibling = await waitFor('the users sibling delivered', async () =>
      notifications.find((n) => n.alerts.some((a) => a.labels.alertname === 'PostgresTooManyConnections' && a.labels.database === 'users')),
    )
    expect(usersSibling.receiver).toBe('webhook')
    // One more group interval for anything chat's siblings could still trigger.
    await Bun.sleep(1500)
    const leaked = notifications
      .slice(mark)
      .flatMap((n) => n.alerts)
      .filter((a) => a.status === 'firing' && a.labels.database === 'chat' && a.labels.alertname !== 'PostgresDown')
    expect(leaked).toEqual([])

    const held = (await (await fetch(`${alertmanager}/api/v2/alerts?${new URLSearchParams({ filter: 'database="chat"' })}`)).json()) as {
      labels: Record<string, string>
      status: { state: string; inhibitedBy: string[] }
    }[]
    const siblings = held.filter((a) => a.labels.alertname !== 'PostgresDown')
    expect(siblings.map((a) => [a.labels.alertname, a.status.state, a.status.inhibitedBy.length]).sort()).toEqual([
      ['PostgresCacheHitRatioLow', 'suppressed', 1],
      ['PostgresTooManyConnections', 'suppressed', 1],
    ])
  }, 45_000)
})
