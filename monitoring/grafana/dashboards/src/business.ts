import { dashboard, row, stat, timeSeries } from './panels.ts'

/** Business: the analytics module's gauges and counters (metric names in monitoring/README.md). */
export const businessDashboard = () =>
  dashboard('ondes-business', 'Business', 'Live streams, viewers, follows, subscriptions and revenue, from the analytics module.')
    .withRow(row('Now'))
    .withPanel(stat('Live streams', [{ expr: 'max(analytics_live_streams)' }], { width: 6 }))
    .withPanel(stat('Viewers', [{ expr: 'max(analytics_viewers)' }], { width: 6 }))
    .withPanel(stat('Active subscriptions', [{ expr: 'sum(max by (tier) (analytics_subscriptions_active))' }], { width: 6 }))
    .withPanel(stat('Revenue today', [{ expr: 'sum(increase(analytics_revenue_cents_total[1d])) / 100' }], { unit: 'currencyEUR', width: 6 }))
    .withRow(row('Over time'))
    .withPanel(timeSeries('Viewers', [{ expr: 'max(analytics_viewers)', legend: 'viewers' }, { expr: 'max(analytics_live_streams)', legend: 'live streams' }]))
    .withPanel(timeSeries('Follows/h', [{ expr: 'sum(increase(analytics_follows_total[1h]))', legend: 'follows' }]))
    .withPanel(timeSeries('Subscriptions by tier', [{ expr: 'max by (tier) (analytics_subscriptions_active)', legend: 'tier {{ tier }}' }]))
    .withPanel(timeSeries('Revenue/h by tier', [{ expr: 'sum by (tier) (increase(analytics_revenue_cents_total[1h])) / 100', legend: 'tier {{ tier }}' }], { unit: 'currencyEUR' }))
