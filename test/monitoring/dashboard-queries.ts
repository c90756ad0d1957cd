/** Reads the committed dashboards and turns their panels' queries into PromQL Prometheus runs. */
import { readdirSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { MONITORING } from './tools.ts'

type Panel = { type: string; title: string; datasource?: { uid?: string }; targets?: { expr?: string }[] }
type Dashboard = { uid: string; title: string; panels: Panel[]; templating: { list?: { name: string; allValue?: string }[] } }

export function committedDashboards(): Dashboard[] {
  const dir = resolve(MONITORING, 'grafana/dashboards')
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(resolve(dir, f), 'utf8')) as Dashboard)
}

export type PanelQuery = { dashboard: string; panel: string; expr: string }

/**
 * Every panel query of every committed dashboard, with Grafana's `$__rate_interval` and
 * `$__interval` replaced by the given windows and each template variable by its "All" value.
 * @example
 * for (const q of panelQueries({ rateInterval: '8s', interval: '2s' })) await query(q.expr)
 */
export function panelQueries(windows = { rateInterval: '1m', interval: '15s' }): PanelQuery[] {
  return committedDashboards().flatMap((d) => {
    const variables = (d.templating.list ?? []).map((v) => [v.name, v.allValue ?? '.*'] as const)
    const substitute = (expr: string) =>
      variables
        .reduce((text, [name, value]) => text.replaceAll(`$${name}`, value), expr)
        .replaceAll('$__rate_interval', windows.rateInterval)
        .replaceAll('$__interval', windows.interval)
    return d.panels.flatMap((panel) =>
      (panel.targets ?? []).flatMap((t) => (t.expr ? [{ dashboard: d.title, panel: panel.title, expr: substitute(t.expr) }] : [])),
    )
  })
}
