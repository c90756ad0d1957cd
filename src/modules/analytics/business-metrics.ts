import { Counter, Gauge, type Registry } from 'prom-client'
import type { Current } from './current.ts'

/**
 * The Business dashboard's series (monitoring/grafana/dashboards/src/business.ts), read from the
 * analytics database at each scrape, so every replica reports the same values (the dashboard
 * takes `max`) and a restart loses nothing. Counters are running totals kept by the ingest in
 * `analytics_totals`, never incremented in memory (a retried batch would count twice). Labels
 * are bounded: `tier`, `currency` (ISO codes), `rollup`; never a channel.
 */
export function registerBusinessMetrics(registry: Registry, current: Current): void {
  const gauge = (name: string, help: string, read: () => Promise<number>) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set(await read())
      },
    })
  const total = (name: string, help: string, key: string) =>
    new Counter({
      name,
      help,
      registers: [registry],
      async collect() {
        this.reset()
        this.inc((await current.totals()).get(key) ?? 0)
      },
    })
  gauge('analytics_live_streams', 'Streams live now', current.liveStreams)
  gauge('analytics_viewers', "Viewers of live streams now (signed in and anonymous), from each stream's newest minute", current.viewers)
  new Gauge({
    name: 'analytics_subscriptions_active',
    help: 'Subscriptions active now, by tier',
    labelNames: ['tier'],
    registers: [registry],
    async collect() {
      this.reset()
      for (const { tier, count } of await current.activeSubscriptions()) this.set({ tier }, count)
    },
  })
  total('analytics_follows_total', 'Follows of channels since analytics began', 'follows')
  total('analytics_chat_messages_total', 'Chat messages accepted since analytics began', 'chat_messages')
  total('analytics_redemptions_total', 'Channel-point redemptions since analytics began', 'redemptions')
  new Counter({
    name: 'analytics_revenue_minor_total',
    help: "Money received (before refunds) in the currency's minor units, per ISO 4217 currency; never converted",
    labelNames: ['currency'],
    registers: [registry],
    async collect() {
      this.reset()
      for (const [name, value] of await current.totals()) if (name.startsWith('revenue:')) this.inc({ currency: name.slice('revenue:'.length) }, value)
    },
  })
  new Gauge({
    name: 'analytics_rollup_age_seconds',
    help: 'Seconds since each rollup (materialized view) was last refreshed',
    labelNames: ['rollup'],
    registers: [registry],
    async collect() {
      this.reset()
      for (const { rollup, age } of await current.rollupAges()) this.set({ rollup }, age)
    },
  })
}
