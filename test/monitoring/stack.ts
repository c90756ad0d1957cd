/**
 * The monitoring stack on this machine for the live test: Debian's Prometheus, Alertmanager
 * and exporters, each on a free loopback port with its own temporary storage, running the
 * committed configuration with only its target addresses changed (and its intervals shortened,
 * so a minute of `for:` takes seconds). Nothing here touches the shared Postgres or Redis
 * beyond reading their statistics.
 */
import type { Subprocess } from 'bun'
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { buildDatabases } from '../build-databases.ts'
import { accepts, freePort, startApp, type AppProcess } from '../../src/platform/testing/processes.ts'
import { alertmanagerConfig, MONITORING, type Tool } from './tools.ts'

/**
 * Scrape and rule evaluation intervals of the test's Prometheus. Scrapes are 2 s apart, not 1:
 * a postgres exporter whose database is unreachable takes a second to answer, and a scrape
 * may not outlast its interval.
 */
export const TEST_INTERVALS = { scrape: '2s', evaluation: '1s' }

/**
 * The committed durations shortened for the test: every `for:` of the rules, and
 * Alertmanager's group waits and intervals, divided by 20 (a 1 m `for:` becomes 3 s).
 */
export function shortened(yaml: string, keys: string[]): string {
  const pattern = new RegExp(`^(\\s*(?:${keys.join('|')}): )(\\d+)([smh])\\s*$`, 'gm')
  const seconds = { s: 1, m: 60, h: 3600 } as const
  return yaml.replace(pattern, (_, key: string, n: string, unit: keyof typeof seconds) => `${key}${Math.max(1, Math.round((Number(n) * seconds[unit]) / 20))}s`)
}

type ScrapeConfig = {
  job_name: string
  static_configs?: { targets: string[]; labels?: Record<string, string> }[]
  dns_sd_configs?: unknown[]
  [key: string]: unknown
}
type PrometheusConfig = {
  global: Record<string, unknown>
  rule_files: string[]
  alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] }
  scrape_configs: ScrapeConfig[]
}

/**
 * monitoring/prometheus/prometheus.yml with each committed address replaced by its local one
 * (`addresses`: compose address → 127.0.0.1:port), the app's DNS discovery replaced by its
 * local address(es), jobs without a local target (cAdvisor) dropped, the rules read from a
 * shortened copy in `rulesDir`, and the intervals of `TEST_INTERVALS`.
 */
export function localPrometheusConfig(addresses: Record<string, string>, appTargets: string[], rulesDir: string): string {
  const config = Bun.YAML.parse(readFileSync(resolve(MONITORING, 'prometheus/prometheus.yml'), 'utf8')) as PrometheusConfig
  const local = (target: string) => addresses[target]
  config.global.scrape_interval = TEST_INTERVALS.scrape
  config.global.evaluation_interval = TEST_INTERVALS.evaluation
  config.rule_files = config.rule_files.map((pattern) => join(rulesDir, pattern.replace(/^rules\//, '')))
  for (const manager of config.alerting.alertmanagers) {
    for (const group of manager.static_configs) group.targets = group.targets.map((t) => local(t) ?? t)
  }
  config.scrape_configs = config.scrape_configs.flatMap((job) => {
    if (job.dns_sd_configs) {
      const { dns_sd_configs: _, ...rest } = job
      return [{ ...rest, static_configs: [{ targets: appTargets }] }]
    }
    const groups = (job.static_configs ?? [])
      .map((group) => ({ ...group, targets: group.targets.flatMap((t) => local(t) ?? []) }))
      .filter((group) => group.targets.length > 0)
    return groups.length > 0 ? [{ ...job, static_configs: groups }] : []
  })
  return Bun.YAML.stringify(config, null, 2)
}

export type Daemon = { name: string; port: number; child: Subprocess; log: string; stop: () => Promise<void> }

/** Starts `command` with its output in `dir/<name>.log` and waits until `port` accepts connections. */
export async function startDaemon(
  name: string,
  command: string[],
  port: number,
  dir: string,
  env: Record<string, string> = {},
): Promise<Daemon> {
  const log = join(dir, `${name}.log`)
  const fd = openSync(log, 'w')
  const child = Bun.spawn(command, {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, ...env },
    stdin: 'ignore',
    stdout: fd,
    stderr: fd,
  })
  closeSync(fd)
  const daemon: Daemon = {
    name,
    port,
    child,
    log,
    stop: async () => {
      child.kill('SIGTERM')
      await Promise.race([child.exited, Bun.sleep(5000).then(() => child.kill('SIGKILL'))])
    },
  }
  const deadline = Date.now() + 20_000
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await daemon.stop()
      throw new Error(`${name} did not start listening on ${port}:\n${readFileSync(log, 'utf8').slice(-2000)}`)
    }
    await Bun.sleep(50)
  }
  return daemon
}

/** A postgres exporter reading one database, as compose runs one per database server. */
export function postgresExporter(
  tools: Pick<Record<Tool, string>, 'prometheus-postgres-exporter'>,
  name: string,
  databaseUrl: string,
  dir: string,
  port = freePort(),
): Promise<Daemon> {
  const dsn = new URL(databaseUrl)
  dsn.searchParams.set('sslmode', 'disable')
  return startDaemon(
    name,
    [
      tools['prometheus-postgres-exporter'],
      `--web.listen-address=127.0.0.1:${port}`,
      ...POSTGRES_EXPORTER_FLAGS,
      `--extend.query-path=${resolve(MONITORING, 'postgres-exporter/queries.yaml')}`,
    ],
    port,
    dir,
    { DATA_SOURCE_NAME: dsn.toString() },
  )
}

/** The flags compose gives every postgres exporter: only the queries of queries.yaml, for its own database. */
export const POSTGRES_EXPORTER_FLAGS = ['--disable-default-metrics', '--no-collector.database', '--no-auto-discover-databases']

/** Alertmanager on a free port with the committed config, shortened, delivering to `webhookUrl`. */
export function startAlertmanager(tools: Pick<Record<Tool, string>, 'prometheus-alertmanager'>, webhookUrl: string, dir: string): Promise<Daemon> {
  const port = freePort()
  const home = join(dir, 'alertmanager')
  mkdirSync(home, { recursive: true })
  const config = join(home, 'alertmanager.yml')
  writeFileSync(config, shortened(alertmanagerConfig(webhookUrl), ['group_wait', 'group_interval', 'repeat_interval']))
  return startDaemon(
    'alertmanager',
    [
      tools['prometheus-alertmanager'],
      `--config.file=${config}`,
      `--storage.path=${join(home, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // One instance: no gossip port.
      '--cluster.listen-address=',
    ],
    port,
    dir,
  )
}

/** Something a test undoes in its afterAll, last first. */
export type Cleanup = () => Promise<unknown> | unknown

/**
 * `bun src/main.ts` with every module this build ships, each on a fresh database, on loopback
 * ports (`env` adds METRICS_PORT and the like); stopped and its databases dropped by `cleanups`.
 * @example
 * const { app, databaseUrls } = await startOndes(dir, cleanups, { METRICS_PORT: '9464' })
 */
export async function startOndes(
  dir: string,
  cleanups: Cleanup[],
  env: Record<string, string> = {},
): Promise<{ app: AppProcess; databaseUrls: Record<string, string> }> {
  const build = await buildDatabases()
  cleanups.push(build.drop)
  const databaseUrls = build.urls
  const app = startApp({
    ...build.env,
    HOST: '127.0.0.1',
    PORT: String(freePort()),
    DATA_DIR: join(dir, 'app'),
    LOG_LEVEL: 'warn',
    ...env,
  })
  cleanups.push(async () => {
    app.child.kill('SIGTERM')
    await app.exited
  })
  await app.waitUntilReady()
  return { app, databaseUrls }
}
