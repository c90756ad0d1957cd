/**
 * `bun run status`: whether every part of a running Ondes answers, as the seed's
 * `check-status.sh` did — each module database, Redis, each module of the app (its
 * /readyz), the RTMP ingest server, Prometheus (and every target it scrapes: the exporters,
 * cAdvisor, the app's replicas), Alertmanager and Grafana. Prints a table; exits 1 when
 * anything is down. Addresses default to what docker-compose publishes on 127.0.0.1
 * (with docker-compose.local.yml for the databases and Redis); each has a variable, and a
 * variable set to the empty string skips that check.
 */
import { connect } from 'node:net'
import Redis from 'ioredis'
import postgres from 'postgres'
import { MODULE_NAMES, databaseUrlVariable } from '../src/platform/config.ts'
import { table } from './report-table.ts'

type Row = [component: string, target: string, status: string]
const TIMEOUT_MS = 3000
const env = process.env

/** The variable's value, its default when unset, or undefined when set empty (skipped). */
const setting = (name: string, fallback: string) => (env[name] === undefined ? fallback : env[name] || undefined)

const password = encodeURIComponent(env.POSTGRES_PASSWORD ?? '')
const databasePorts: Record<string, number> = { users: 5432, streams: 5433, chat: 5434, subscriptions: 5435, analytics: 5436 }

const withTimeout = <T>(work: Promise<T>, what: string) =>
  Promise.race([work, Bun.sleep(TIMEOUT_MS).then(() => Promise.reject(new Error(`no answer in ${TIMEOUT_MS} ms from ${what}`)))])

const down = (error: unknown) => `DOWN: ${(error as Error).message}`

async function database(module: string): Promise<Row[]> {
  const url = setting(databaseUrlVariable(module), `postgres://ondes:${password}@127.0.0.1:${databasePorts[module]}/${module}_db`)
  if (!url) return []
  const where = new URL(url)
  const target = `${where.hostname}:${where.port || 5432}${where.pathname}`
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: TIMEOUT_MS / 1000, connection: { application_name: 'ondes-status' } })
  try {
    await withTimeout(sql`select 1`, target)
    return [[`${module} database`, target, 'ok']]
  } catch (error) {
    return [[`${module} database`, target, down(error)]]
  } finally {
    await sql.end({ timeout: 1 })
  }
}

async function redis(): Promise<Row[]> {
  const url = setting('REDIS_URL', `redis://:${encodeURIComponent(env.REDIS_PASSWORD ?? '')}@127.0.0.1:6379`)
  if (!url) return []
  const where = new URL(url)
  const client = new Redis(url, { lazyConnect: true, connectTimeout: TIMEOUT_MS, maxRetriesPerRequest: 0, retryStrategy: () => null })
  client.on('error', () => {})
  try {
    await withTimeout(client.connect().then(() => client.ping()), url)
    return [['redis', `${where.hostname}:${where.port || 6379}`, 'ok']]
  } catch (error) {
    return [['redis', `${where.hostname}:${where.port || 6379}`, down(error)]]
  } finally {
    client.disconnect()
  }
}

/** A /readyz check that belongs to `module`: its database, its relay, its jobs. */
const ownedBy = (module: string, check: string) => check === `${module}_db` || check.endsWith(`_${module}`) || check.startsWith(`job_${module}_`)

/** One row per module the process serves (its /readyz checks), and one for the rest of the process. */
async function app(base: string): Promise<Row[]> {
  try {
    const res = await withTimeout(fetch(`${base}/readyz`), base)
    const { checks = {} } = (await res.json()) as { checks?: Record<string, string> }
    const verdict = (entries: [string, string][]) => {
      const failing = entries.filter(([, v]) => v !== 'ok' && v !== 'standby')
      return failing.length === 0 ? 'ok' : `DOWN: ${failing.map(([k, v]) => `${k} ${v}`).join('; ')}`
    }
    const order = (m: string) => (MODULE_NAMES as readonly string[]).indexOf(m)
    const modules = Object.keys(checks)
      .filter((k) => k.endsWith('_db'))
      .map((k) => k.slice(0, -'_db'.length))
      .sort((a, b) => order(a) - order(b))
    const rest = Object.entries(checks).filter(([k]) => !modules.some((m) => ownedBy(m, k)))
    return [
      ...modules.map((m): Row => [`module ${m}`, base, verdict(Object.entries(checks).filter(([k]) => ownedBy(m, k)))]),
      ['app', base, res.ok || rest.length > 0 ? verdict(rest) : `DOWN: HTTP ${res.status}`],
    ]
  } catch (error) {
    return [['app', base, down(error)]]
  }
}

async function http(component: string, variable: string, fallback: string, path: string): Promise<Row[]> {
  const base = setting(variable, fallback)
  if (!base) return []
  try {
    const res = await withTimeout(fetch(`${base}${path}`), base)
    return [[component, base, res.ok ? 'ok' : `DOWN: HTTP ${res.status}`]]
  } catch (error) {
    return [[component, base, down(error)]]
  }
}

/** Every target Prometheus scrapes, by its own health: exporters, cAdvisor, the app's replicas. */
async function scrapeTargets(): Promise<Row[]> {
  const base = setting('PROMETHEUS_URL', 'http://127.0.0.1:9090')
  if (!base) return []
  try {
    const res = await withTimeout(fetch(`${base}/api/v1/targets?state=active`), base)
    const body = (await res.json()) as { data: { activeTargets: { labels: Record<string, string>; health: string; lastError: string }[] } }
    return body.data.activeTargets.map((t): Row => [
      `target ${t.labels.job}${t.labels.database ? ` (${t.labels.database})` : ''}`,
      t.labels.instance ?? '',
      t.health === 'up' ? 'ok' : `DOWN: ${t.lastError || t.health}`,
    ])
  } catch {
    // Prometheus's own row says why.
    return []
  }
}

function tcp(component: string, variable: string, fallback: string): Promise<Row[]> {
  const address = setting(variable, fallback)
  if (!address) return Promise.resolve([])
  const [host = '127.0.0.1', port = '0'] = address.split(':')
  return new Promise((done) => {
    const socket = connect({ host, port: Number(port), timeout: TIMEOUT_MS })
    const finish = (status: string) => {
      socket.destroy()
      done([[component, address, status]])
    }
    socket.once('connect', () => finish('ok'))
    socket.once('timeout', () => finish(`DOWN: no answer in ${TIMEOUT_MS} ms`))
    socket.once('error', (error) => finish(down(error)))
  })
}

const apps = (setting('ONDES_URLS', 'http://127.0.0.1:3000') ?? '').split(',').filter(Boolean)
const rows = (
  await Promise.all([
    ...MODULE_NAMES.map(database),
    redis(),
    ...apps.map(app),
    tcp('ingest (RTMP)', 'INGEST_RTMP_ADDRESS', '127.0.0.1:1935'),
    http('prometheus', 'PROMETHEUS_URL', 'http://127.0.0.1:9090', '/-/healthy'),
    scrapeTargets(),
    http('alertmanager', 'ALERTMANAGER_URL', 'http://127.0.0.1:9093', '/-/healthy'),
    http('grafana', 'GRAFANA_URL', 'http://127.0.0.1:3001', '/api/health'),
  ])
)
  .flat()

console.log(table(['component', 'target', 'status'], rows))
process.exit(rows.some((row) => row[2] !== 'ok') ? 1 : 0)
