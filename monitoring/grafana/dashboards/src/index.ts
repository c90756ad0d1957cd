import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard'
import { apiDashboard } from './api.ts'
import { businessDashboard } from './business.ts'
import { chatDashboard } from './chat.ts'
import { ingestDashboard } from './ingest.ts'
import { postgresDashboard } from './postgres.ts'
import { systemDashboard } from './system.ts'

/** Every dashboard, by the file it is committed as in monitoring/grafana/dashboards/. */
export const dashboards: Record<string, () => { build: () => Dashboard }> = {
  'postgres.json': postgresDashboard,
  'system.json': systemDashboard,
  'api.json': apiDashboard,
  'chat.json': chatDashboard,
  'ingest.json': ingestDashboard,
  'business.json': businessDashboard,
}

/**
 * The JSON of each dashboard as committed: built, then printed with two-space indents.
 * @example
 * for (const [file, json] of Object.entries(renderDashboards())) writeFileSync(file, json)
 */
export function renderDashboards(): Record<string, string> {
  return Object.fromEntries(Object.entries(dashboards).map(([file, make]) => [file, `${JSON.stringify(make().build(), null, 2)}\n`]))
}
