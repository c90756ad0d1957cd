import { dashboard, row, stat, timeSeries } from './panels.ts'

/** Ingest & streams: live streams, viewers, RTMP callbacks, VOD and clip jobs (metric names in monitoring/README.md). */
export const ingestDashboard = () =>
  dashboard('ondes-ingest', 'Ingest & streams', 'RTMP ingest callbacks, live streams and viewers, VOD and clip jobs.')
    .withRow(row('Live'))
    .withPanel(stat('Live streams', [{ expr: 'max(analytics_live_streams)' }], { width: 6 }))
    .withPanel(stat('Viewers', [{ expr: 'max(analytics_viewers)' }], { width: 6 }))
    .withPanel(timeSeries('Live streams and viewers', [{ expr: 'max(analytics_live_streams)', legend: 'live streams' }, { expr: 'max(analytics_viewers)', legend: 'viewers' }], { width: 12, height: 4 }))
    .withRow(row('Ingest callbacks'))
    .withPanel(
      timeSeries('Callbacks/s by result', [{ expr: 'sum by (result) (rate(ingest_callbacks_total[$__rate_interval]))', legend: '{{ result }}' }], {
        unit: 'ops',
        description: 'allowed, refused (a bad stream key: not a failure) and error (IngestCallbacksFailing).',
      }),
    )
    .withPanel(
      timeSeries('Callback p99', [{ expr: 'histogram_quantile(0.99, sum by (callback, le) (rate(ingest_callback_duration_seconds_bucket[$__rate_interval])))', legend: '{{ callback }}' }], {
        unit: 's',
      }),
    )
    .withRow(row('VOD and clip jobs'))
    .withPanel(
      timeSeries('Job runs/s', [{ expr: 'sum by (exported_job) (rate(job_run_duration_seconds_count{module="streams"}[$__rate_interval]))', legend: '{{ exported_job }}' }], { unit: 'ops', width: 8 }),
    )
    .withPanel(
      timeSeries('Job p99', [{ expr: 'histogram_quantile(0.99, sum by (exported_job, le) (rate(job_run_duration_seconds_bucket{module="streams"}[$__rate_interval])))', legend: '{{ exported_job }}' }], {
        unit: 's',
        width: 8,
      }),
    )
    .withPanel(
      timeSeries('Job failures', [{ expr: 'sum by (exported_job) (increase(job_failures_total{module="streams"}[$__rate_interval]))', legend: '{{ exported_job }}' }], { width: 8 }),
    )
