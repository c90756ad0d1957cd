/**
 * The dashboards built as code (monitoring/grafana/dashboards/src/) against their committed
 * JSON, which Grafana provisions: out of date means `bun run dashboards` was not run. Their
 * queries are checked against a live Prometheus in live.test.ts.
 */
import { describe, expect, test } from 'bun:test'
import { readdirSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { renderDashboards } from '../../monitoring/grafana/dashboards/src/index.ts'
import { committedDashboards, panelQueries } from './dashboard-queries.ts'
import { MONITORING } from './tools.ts'

const DIR = resolve(MONITORING, 'grafana/dashboards')

describe('dashboards as code', () => {
  test('the committed JSON is what the code builds (run `bun run dashboards` after a change)', () => {
    const rendered = renderDashboards()
    const committed = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()
    expect(committed).toEqual(Object.keys(rendered).sort())
    for (const [file, json] of Object.entries(rendered)) {
      expect({ file, upToDate: readFileSync(resolve(DIR, file), 'utf8') === json }).toEqual({ file, upToDate: true })
    }
  })

  test("the issue's six dashboards, with unique uids, each panel on the provisioned Prometheus with at least one query", () => {
    const dashboards = committedDashboards()
    expect(dashboards.map((d) => d.title).sort()).toEqual(
      ['PostgreSQL Microservices', 'System & Infrastructure', 'API modules', 'Chat', 'Ingest & streams', 'Business'].sort(),
    )
    expect(new Set(dashboards.map((d) => d.uid)).size).toBe(dashboards.length)
    for (const d of dashboards) {
      for (const panel of d.panels.filter((p) => p.type !== 'row')) {
        expect({ panel: `${d.title} / ${panel.title}`, uid: panel.datasource?.uid, queries: (panel.targets ?? []).length > 0 }).toEqual({
          panel: `${d.title} / ${panel.title}`,
          uid: 'prometheus',
          queries: true,
        })
      }
    }
  })

  test("the provisioned data source is the uid the panels use", () => {
    const provisioned = Bun.YAML.parse(readFileSync(resolve(MONITORING, 'grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as {
      datasources: { uid: string; type: string }[]
    }
    expect(provisioned.datasources).toEqual([expect.objectContaining({ uid: 'prometheus', type: 'prometheus' })])
  })

  test("the seed's panels are there: database state, connections, transactions/s, cache hit ratio, inserts/updates/deletes, CPU, memory, containers, Redis, every service up", () => {
    const titles = new Set(panelQueries().map((q) => `${q.dashboard} / ${q.panel}`))
    for (const title of [
      'PostgreSQL Microservices / Database up',
      'PostgreSQL Microservices / Active connections',
      'PostgreSQL Microservices / Transactions/s',
      'PostgreSQL Microservices / Cache hit ratio',
      'PostgreSQL Microservices / Inserts / updates / deletes',
      'System & Infrastructure / CPU busy',
      'System & Infrastructure / Memory used',
      'System & Infrastructure / Containers running',
      'System & Infrastructure / Redis up',
      'System & Infrastructure / Every service up',
    ]) {
      expect(titles).toContain(title)
    }
  })

  test('Grafana macros and variables are substituted into plain PromQL', () => {
    const queries = panelQueries({ rateInterval: '8s', interval: '2s' })
    expect(queries.length).toBeGreaterThan(40)
    for (const q of queries) expect({ panel: q.panel, expr: q.expr }).toEqual({ panel: q.panel, expr: expect.not.stringContaining('$') })
    expect(queries.find((q) => q.panel === 'Cache hit ratio')?.expr).toContain('pg_stat_database_blks_hit{database=~".*"}[8s]')
  })
})
