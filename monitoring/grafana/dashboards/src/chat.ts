import { dashboard, row, stat, timeSeries } from './panels.ts'

/** Chat: connections, messages, fan-out latency, moderation (metric names in monitoring/README.md). */
export const chatDashboard = () =>
  dashboard('ondes-chat', 'Chat', 'Chat over IRC-on-WebSocket: connections, messages, fan-out and moderation.')
    .withRow(row('Connections'))
    .withPanel(stat('Connections', [{ expr: 'sum(websocket_connections{module="chat"})' }], { width: 6, height: 8 }))
    .withPanel(
      timeSeries(
        'Connections and frames',
        [
          { expr: 'sum(websocket_connections{module="chat"})', legend: 'connections' },
          { expr: 'sum(rate(websocket_frames_received_total{module="chat"}[$__rate_interval]))', legend: 'frames in/s' },
          { expr: 'sum(rate(websocket_frames_sent_total{module="chat"}[$__rate_interval]))', legend: 'frames out/s' },
        ],
        { width: 9 },
      ),
    )
    .withPanel(
      timeSeries('Refused upgrades', [{ expr: 'sum by (status) (rate(websocket_upgrades_refused_total{module="chat"}[$__rate_interval]))', legend: '{{ status }}' }], { unit: 'reqps', width: 9 }),
    )
    .withRow(row('Messages'))
    .withPanel(timeSeries('Messages/s', [{ expr: 'sum(rate(chat_messages_total[$__rate_interval]))', legend: 'messages' }], { unit: 'ops', width: 8 }))
    .withPanel(
      timeSeries(
        'Fan-out latency',
        [
          { expr: 'histogram_quantile(0.99, sum by (le) (rate(chat_fanout_duration_seconds_bucket[$__rate_interval])))', legend: 'p99' },
          { expr: 'histogram_quantile(0.5, sum by (le) (rate(chat_fanout_duration_seconds_bucket[$__rate_interval])))', legend: 'p50' },
        ],
        { unit: 's', width: 8, description: 'From a message accepted to its frame sent to the last subscriber of its room.' },
      ),
    )
    .withPanel(timeSeries('Moderation actions', [{ expr: 'sum by (action) (increase(chat_moderation_actions_total[$__rate_interval]))', legend: '{{ action }}' }], { width: 8 }))
