/**
 * docker-compose.yml's monitoring services against the monitoring config they run: every
 * address prometheus.yml scrapes is a compose service listening there, the images are the
 * versions of the Debian packages the live test ran, the mounts exist, each postgres exporter
 * reads its own database with the live test's flags, and the UIs are on 127.0.0.1 only.
 */
import { describe, expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { MODULE_NAMES } from '../../src/platform/config.ts'
import { REPO_ROOT } from '../../src/platform/testing/processes.ts'
import { POSTGRES_EXPORTER_FLAGS } from './stack.ts'
import { MONITORING, prometheusTools, run } from './tools.ts'

type Service = {
  image?: string
  ports?: string[]
  volumes?: string[]
  command?: string[]
  entrypoint?: string[]
  environment?: Record<string, string | null>
}
const compose = Bun.YAML.parse(readFileSync(resolve(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service>; volumes: Record<string, unknown> }
const { services } = compose
const prometheusConfig = Bun.YAML.parse(readFileSync(resolve(MONITORING, 'prometheus/prometheus.yml'), 'utf8')) as {
  alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] }
  scrape_configs: { job_name: string; static_configs?: { targets: string[] }[]; dns_sd_configs?: { names: string[]; port: number }[] }[]
}

/** The port each image's server listens on in its container. */
const LISTENS: Record<string, number> = {
  'prom/prometheus': 9090,
  'prom/alertmanager': 9093,
  'quay.io/prometheuscommunity/postgres-exporter': 9187,
  'oliver006/redis_exporter': 9121,
  'prom/node-exporter': 9100,
  'gcr.io/cadvisor/cadvisor': 8080,
}
const imageName = (service: Service | undefined) => service?.image?.split(':')[0] ?? ''
const imageTag = (service: Service | undefined) => service?.image?.split(':')[1] ?? ''

const MONITORING_SERVICES = ['prometheus', 'alertmanager', 'grafana', 'cadvisor', 'node-exporter', 'redis-exporter', ...MODULE_NAMES.map((m) => `${m}-db-exporter`)]

describe('docker-compose.yml: monitoring', () => {
  test('every address prometheus.yml scrapes or alerts is a compose service listening on that port', () => {
    const targets = [
      ...prometheusConfig.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((s) => s.targets)),
      ...prometheusConfig.scrape_configs.flatMap((job) => (job.static_configs ?? []).flatMap((s) => s.targets)),
    ]
    expect(targets.length).toBeGreaterThanOrEqual(11)
    for (const target of targets) {
      const [host = '', port] = target.split(':')
      const service = services[host === 'localhost' ? 'prometheus' : host]
      expect({ target, listens: LISTENS[imageName(service)] }).toEqual({ target, listens: Number(port) })
    }
  })

  test("the app's discovery names are the monolith and the split services, on their metrics listener", () => {
    const [discovery] = prometheusConfig.scrape_configs.find((job) => job.job_name === 'ondes')?.dns_sd_configs ?? []
    expect(discovery?.names.sort()).toEqual(['app', ...MODULE_NAMES].sort())
    for (const name of discovery?.names ?? []) expect(services[name]?.environment?.METRICS_PORT, name).toBe(String(discovery?.port))
  })

  test('each postgres exporter reads its own database, with the flags and queries the live test ran', () => {
    for (const module of MODULE_NAMES) {
      const exporter = services[`${module}-db-exporter`]
      const dsn = exporter?.environment?.DATA_SOURCE_NAME ?? ''
      expect(dsn, module).toMatch(new RegExp(`@${module}-db:5432/${module}_db\\?sslmode=disable$`))
      expect(exporter?.command, module).toEqual([...POSTGRES_EXPORTER_FLAGS, '--extend.query-path=/etc/postgres-exporter/queries.yaml'])
      expect(exporter?.volumes, module).toEqual(['./monitoring/postgres-exporter/queries.yaml:/etc/postgres-exporter/queries.yaml:ro'])
    }
  })

  test('the UIs are published on 127.0.0.1 only, the exporters not at all; Grafana takes its admin password from .env', () => {
    for (const name of MONITORING_SERVICES) {
      for (const port of services[name]?.ports ?? []) expect(port, name).toStartWith('127.0.0.1:')
    }
    expect(services.prometheus?.ports).toEqual(['127.0.0.1:9090:9090'])
    expect(services.alertmanager?.ports).toEqual(['127.0.0.1:9093:9093'])
    expect(services.grafana?.ports).toEqual(['127.0.0.1:3001:3000'])
    expect(services.cadvisor?.ports).toEqual(['127.0.0.1:8081:8080'])
    for (const name of MONITORING_SERVICES.filter((n) => n.endsWith('exporter'))) expect(services[name]?.ports, name).toBeUndefined()
    expect(services.grafana?.environment?.GF_SECURITY_ADMIN_PASSWORD).toMatch(/^\$\{GRAFANA_ADMIN_PASSWORD:\?[^}]+\}$/)
    expect(readFileSync(resolve(REPO_ROOT, '.env.example'), 'utf8')).toMatch(/^GRAFANA_ADMIN_PASSWORD=$/m)
  })

  test('what they mount from the repository exists, and Alertmanager starts through the entrypoint that renders its config', () => {
    for (const name of MONITORING_SERVICES) {
      for (const volume of services[name]?.volumes ?? []) {
        const source = volume.split(':')[0] ?? ''
        if (source.startsWith('./')) expect({ name, source, exists: existsSync(resolve(REPO_ROOT, source)) }).toEqual({ name, source, exists: true })
        else if (!source.startsWith('/')) expect(Object.keys(compose.volumes), name).toContain(source)
      }
    }
    const alertmanager = services.alertmanager
    expect(alertmanager?.entrypoint).toEqual(['/bin/sh', '/etc/alertmanager/entrypoint.sh'])
    expect(alertmanager?.volumes).toContain('./monitoring/alertmanager:/etc/alertmanager:ro')
    // entrypoint.sh writes /tmp/alertmanager.yml unless told otherwise.
    expect(alertmanager?.command).toContain('--config.file=/tmp/alertmanager.yml')
    expect(alertmanager?.environment?.ALERT_WEBHOOK_URL).toBeDefined()
    expect(services.grafana?.volumes).toEqual(
      expect.arrayContaining(['./monitoring/grafana/provisioning:/etc/grafana/provisioning:ro', './monitoring/grafana/dashboards:/var/lib/grafana/dashboards:ro']),
    )
  })

  const tools = prometheusTools('compose images match the tested Debian packages', [
    'prometheus',
    'prometheus-alertmanager',
    'prometheus-postgres-exporter',
    'prometheus-redis-exporter',
    'prometheus-node-exporter',
  ])
  test.skipIf(!tools)('the Prometheus-side images are the versions of the Debian packages the live test runs', () => {
    const version = (command: string[]) => /(\d+\.\d+\.\d+)/.exec(run(command).output)?.[1]
    expect(imageTag(services.prometheus)).toBe(`v${version([tools!.prometheus, '--version'])}`)
    expect(imageTag(services.alertmanager)).toBe(`v${version([tools!['prometheus-alertmanager'], '--version'])}`)
    expect(imageTag(services['users-db-exporter'])).toBe(`v${version([tools!['prometheus-postgres-exporter'], '--version'])}`)
    expect(imageTag(services['redis-exporter'])).toBe(`v${version([tools!['prometheus-redis-exporter'], '--version'])}`)
    expect(imageTag(services['node-exporter'])).toBe(`v${version([tools!['prometheus-node-exporter'], '--version'])}`)
  })
})
