import { dashboard, row, stat, timeSeries } from './panels.ts'

/**
 * Business: the analytics module's gauges and counters (metric names in monitoring/README.md).
 * Money stays per currency in minor units: amounts in different currencies are never added.
 */
export const businessDashboard = () =>
  dashboard('ondes-business', 'Business', 'Live streams, viewers, chat, follows, subscriptions, redemptions and revenue, from the analytics module.')
    .withRow(row('Now'))
    .withPanel(stat('Live streams', [{ expr: 'max(analytics_live_streams)' }], { width: 6 }))
    .withPanel(stat('Viewers', [{ expr: 'max(analytics_viewers)' }], { width: 6 }))
    .withPanel(stat('Active subscriptions', [{ expr: 'sum(max by (tier) (analytics_subscriptions_active))' }], { width: 6 }))
    .withPanel(stat('Chat messages/min', [{ expr: 'max(rate(analytics_chat_messages_total[$__rate_interval])) * 60' }], { width: 6 }))
    .withRow(row('Over time'))
    .withPanel(timeSeries('Viewers', [{ expr: 'max(analytics_viewers)', legend: 'viewers' }, { expr: 'max(analytics_live_streams)', legend: 'live streams' }]))
    .withPanel(timeSeries('Follows/h', [{ expr: 'max(increase(analytics_follows_total[1h]))', legend: 'follows' }]))
    .withPanel(timeSeries('Subscriptions by tier', [{ expr: 'max by (tier) (analytics_subscriptions_active)', legend: 'tier {{ tier }}' }]))
    .withPanel(
      timeSeries('Chat messages and redemptions/min', [
        { expr: 'max(rate(analytics_chat_messages_total[$__rate_interval])) * 60', legend: 'chat messages' },
        { expr: 'max(rate(analytics_redemptions_total[$__rate_interval])) * 60', legend: 'redemptions' },
      ]),
    )
    .withPanel(timeSeries('Revenue/h by currency (minor units)', [{ expr: 'max by (currency) (increase(analytics_revenue_minor_total[1h]))', legend: '{{ currency }}' }]))
    .withPanel(timeSeries('Rollup age', [{ expr: 'max by (rollup) (analytics_rollup_age_seconds)', legend: '{{ rollup }}' }], { unit: 's' }))
