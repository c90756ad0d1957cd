import { dashboard, labelVariable, row, timeSeries } from './panels.ts'

const mod = 'module=~"$module"'
const requests = (extra = '') => `http_request_duration_seconds_count{${mod}${extra}}`

/** Every module's HTTP traffic (rate, errors, latency per module and route), pools, events and jobs. */
export const apiDashboard = () =>
  dashboard('ondes-api', 'API modules', 'Rate, errors and duration of every module and route, its database pool, its events and its jobs.')
    .withVariable(labelVariable('module', 'http_request_duration_seconds_count'))
    .withRow(row('Per module'))
    .withPanel(timeSeries('Requests/s', [{ expr: `sum by (module) (rate(${requests()}[$__rate_interval]))`, legend: '{{ module }}' }], { unit: 'reqps', width: 8 }))
    .withPanel(
      timeSeries(
        '5xx ratio',
        [{ expr: `sum by (module) (rate(${requests(', status=~"5.."')}[$__rate_interval])) / sum by (module) (rate(${requests()}[$__rate_interval]))`, legend: '{{ module }}' }],
        { unit: 'percentunit', min: 0, width: 8, description: 'ModuleHighErrorRatio fires above 5 % for 5 minutes.' },
      ),
    )
    .withPanel(
      timeSeries(
        'p99 latency',
        [
          { expr: `histogram_quantile(0.99, sum by (module, le) (rate(http_request_duration_seconds_bucket{${mod}}[$__rate_interval])))`, legend: '{{ module }} p99' },
          { expr: `histogram_quantile(0.5, sum by (module, le) (rate(http_request_duration_seconds_bucket{${mod}}[$__rate_interval])))`, legend: '{{ module }} p50' },
        ],
        { unit: 's', width: 8 },
      ),
    )
    .withRow(row('Per route'))
    .withPanel(timeSeries('Requests/s by route', [{ expr: `sum by (method, route) (rate(${requests()}[$__rate_interval]))`, legend: '{{ method }} {{ route }}' }], { unit: 'reqps' }))
    .withPanel(
      timeSeries('p99 by route', [{ expr: `histogram_quantile(0.99, sum by (method, route, le) (rate(http_request_duration_seconds_bucket{${mod}}[$__rate_interval])))`, legend: '{{ method }} {{ route }}' }], {
        unit: 's',
      }),
    )
    .withPanel(timeSeries('Responses by status', [{ expr: `sum by (status) (rate(${requests()}[$__rate_interval]))`, legend: '{{ status }}' }], { unit: 'reqps', width: 24 }))
    .withRow(row('Database pools'))
    .withPanel(
      timeSeries(
        'Pool connections',
        [
          { expr: `sum by (module, state) (db_pool_connections{${mod}})`, legend: '{{ module }} {{ state }}' },
          { expr: `sum by (module) (db_pool_connections_max{${mod}})`, legend: '{{ module }} max' },
        ],
        { min: 0, width: 8 },
      ),
    )
    .withPanel(timeSeries('Waiting for a connection', [{ expr: `sum by (module) (db_pool_connections_waiting{${mod}})`, legend: '{{ module }}' }], { min: 0, width: 8 }))
    .withPanel(
      timeSeries('Statement p99', [{ expr: `histogram_quantile(0.99, sum by (module, kind, le) (rate(db_query_duration_seconds_bucket{${mod}}[$__rate_interval])))`, legend: '{{ module }} {{ kind }}' }], {
        unit: 's',
        width: 8,
      }),
    )
    .withRow(row('Events'))
    .withPanel(timeSeries('Published/s by type', [{ expr: 'sum by (type) (rate(events_published_total[$__rate_interval]))', legend: '{{ type }}' }], { unit: 'ops', width: 8 }))
    .withPanel(
      timeSeries(
        'Consumed and failed/s',
        [
          { expr: `sum by (module) (rate(events_consumed_total{${mod}}[$__rate_interval]))`, legend: '{{ module }} consumed' },
          { expr: `sum by (module) (rate(events_failed_total{${mod}}[$__rate_interval]))`, legend: '{{ module }} failed' },
          { expr: `sum by (module) (increase(events_dead_lettered_total{${mod}}[$__rate_interval]))`, legend: '{{ module }} dead-lettered' },
        ],
        { width: 8 },
      ),
    )
    .withPanel(
      timeSeries(
        'Outbox backlog and consumer lag',
        [
          { expr: `sum by (module) (events_outbox_backlog{${mod}})`, legend: '{{ module }} outbox' },
          { expr: `sum by (module) (events_consumer_lag{${mod}})`, legend: '{{ module }} lag' },
          { expr: `sum by (module) (events_consumer_pending{${mod}})`, legend: '{{ module }} pending' },
        ],
        { min: 0, width: 8 },
      ),
    )
    .withRow(row('Jobs and sockets'))
    .withPanel(
      timeSeries('Since last success', [{ expr: `time() - max by (module, exported_job) (job_last_success_timestamp_seconds{${mod}})`, legend: '{{ module }} {{ exported_job }}' }], {
        unit: 's',
        width: 8,
        description: "The jobs' own `job` label is kept by Prometheus as `exported_job`.",
      }),
    )
    .withPanel(timeSeries('Job failures', [{ expr: `sum by (module, exported_job) (increase(job_failures_total{${mod}}[$__rate_interval]))`, legend: '{{ module }} {{ exported_job }}' }], { width: 8 }))
    .withPanel(timeSeries('WebSocket connections', [{ expr: `sum by (module) (websocket_connections{${mod}})`, legend: '{{ module }}' }], { min: 0, width: 8 }))
