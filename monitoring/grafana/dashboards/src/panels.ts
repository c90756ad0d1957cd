/**
 * The few panel shapes Ondes's dashboards are made of, over @grafana/grafana-foundation-sdk.
 * Every query goes to the provisioned Prometheus data source (uid `prometheus`).
 */
import { BigValueColorMode, BigValueGraphMode, LegendDisplayMode, LegendPlacement, ReduceDataOptionsBuilder, VizLegendOptionsBuilder } from '@grafana/grafana-foundation-sdk/common'
import { DashboardBuilder, QueryVariableBuilder, RowBuilder, ThresholdsConfigBuilder, ThresholdsMode, VariableRefresh, VariableSort } from '@grafana/grafana-foundation-sdk/dashboard'
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus'
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat'
import { PanelBuilder as TimeSeriesPanel } from '@grafana/grafana-foundation-sdk/timeseries'

export const PROMETHEUS = { type: 'prometheus', uid: 'prometheus' }

/** One PromQL query of a panel; `legend` is Grafana's legend template (`{{ module }}`). */
export type Query = { expr: string; legend?: string }

/** Where a panel sits and how it reads: Grafana unit id (`s`, `percentunit`, `reqps`…). */
type PanelOptions = { unit?: string; description?: string; width?: number; height?: number; min?: number; max?: number }

/** What every panel kind's builder offers, and Ondes's panels all set. */
type Panel<P> = {
  title(title: string): P
  datasource(datasource: typeof PROMETHEUS): P
  targets(targets: DataqueryBuilder[]): P
  span(width: number): P
  height(height: number): P
  unit(unit: string): P
  description(description: string): P
}

function common<P extends Panel<P>>(panel: P, title: string, queries: Query[], options: PanelOptions & { width: number; height: number }): P {
  panel.title(title).datasource(PROMETHEUS).targets(targets(queries)).span(options.width).height(options.height)
  if (options.unit) panel.unit(options.unit)
  if (options.description) panel.description(options.description)
  return panel
}

function targets(queries: Query[]): DataqueryBuilder[] {
  return queries.map((q, i) =>
    new DataqueryBuilder()
      .datasource(PROMETHEUS)
      .refId(String.fromCharCode(65 + i))
      .expr(q.expr)
      .legendFormat(q.legend ?? '__auto'),
  )
}

/**
 * A time series panel.
 * @example
 * timeSeries('Requests/s', [{ expr: 'sum by (module) (rate(http_request_duration_seconds_count[$__rate_interval]))', legend: '{{ module }}' }], { unit: 'reqps' })
 */
export function timeSeries(title: string, queries: Query[], options: PanelOptions = {}): TimeSeriesPanel {
  const panel = common(new TimeSeriesPanel(), title, queries, { width: 12, height: 8, ...options })
    .fillOpacity(10)
    .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom))
  if (options.min !== undefined) panel.min(options.min)
  if (options.max !== undefined) panel.max(options.max)
  return panel
}

/**
 * A single-value panel showing the last value, red under `red` or (with `redAbove`) over it.
 * @example
 * stat('Users database', [{ expr: 'pg_up{database="users"}' }], { red: 1 })
 */
export function stat(title: string, queries: Query[], options: PanelOptions & { red?: number; redAbove?: number } = {}): StatPanel {
  const panel = common(new StatPanel(), title, queries, { width: 6, height: 4, ...options })
    .graphMode(BigValueGraphMode.None)
    .colorMode(BigValueColorMode.Background)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']))
  const steps =
    options.red !== undefined
      ? [{ value: null, color: 'red' }, { value: options.red, color: 'green' }]
      : options.redAbove !== undefined
        ? [{ value: null, color: 'green' }, { value: options.redAbove, color: 'red' }]
        : [{ value: null, color: 'blue' }]
  return panel.thresholds(new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps))
}

/**
 * A variable listing the values of `label` on `metric`, all selected by default; queries
 * match it with `label=~"$name"`.
 * @example
 * labelVariable('module', 'http_request_duration_seconds_count')
 */
export function labelVariable(label: string, metric: string): QueryVariableBuilder {
  const definition = `label_values(${metric}, ${label})`
  return new QueryVariableBuilder(label)
    .label(label)
    .datasource(PROMETHEUS)
    .query({ query: definition, refId: 'PrometheusVariableQueryEditor-VariableQuery' })
    .definition(definition)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
}

/**
 * A dashboard with Ondes's defaults: last hour, refreshed every 30 s, tagged `ondes`.
 * @example
 * dashboard('ondes-api', 'API modules').withRow(row('Requests')).withPanel(…)
 */
export function dashboard(uid: string, title: string, description: string): DashboardBuilder {
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['ondes'])
    .time({ from: 'now-1h', to: 'now' })
    .refresh('30s')
    .timezone('browser')
    .readonly()
}

export const row = (title: string) => new RowBuilder(title)
