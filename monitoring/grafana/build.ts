/**
 * Writes the dashboards built in monitoring/grafana/dashboards/src/ as the JSON Grafana
 * provisions (`bun run dashboards`); test/monitoring/dashboards.test.ts fails when the
 * committed JSON is out of date.
 */
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { renderDashboards } from './dashboards/src/index.ts'

for (const [file, json] of Object.entries(renderDashboards())) {
  writeFileSync(resolve(import.meta.dir, 'dashboards', file), json)
  console.log(`monitoring/grafana/dashboards/${file}`)
}
