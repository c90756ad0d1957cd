import { collectDefaultMetrics, Gauge, Histogram, Registry, type LabelValues } from 'prom-client'

/** A module pool's connections right now (see `createModuleDatabase`). */
export type PoolUse = { inUse: number; idle: number; waiting: number; max: number }

export type Metrics = {
  registry: Registry
  httpDuration: Histogram<'module' | 'method' | 'route' | 'status'>
  queryDuration: Histogram<'module' | 'kind'>
  /** Each module pool's use, read at scrape time into `db_pool_connections{state}`, `…_waiting` and `…_max`. */
  pools: Map<string, () => PoolUse>
}

/** One registry per app, so tests building several apps in one process never collide. */
export function createMetrics(): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const pools = new Map<string, () => PoolUse>()
  createPoolGauges(registry, pools)
  return {
    registry,
    pools,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by module, method, route template and status',
      labelNames: ['module', 'method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    queryDuration: new Histogram({
      name: 'db_query_duration_seconds',
      help: 'Database statement (or whole transaction) duration per module',
      labelNames: ['module', 'kind'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
  }
}

function createPoolGauges(registry: Registry, pools: Map<string, () => PoolUse>): void {
  const gauge = (name: string, help: string, read: (use: PoolUse) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['module'],
      registers: [registry],
      collect() {
        this.reset()
        for (const [module, use] of pools) this.set({ module }, read(use()))
      },
    })
  new Gauge({
    name: 'db_pool_connections',
    help: 'Connections of the module database pool, in use (running a statement or transaction) or idle',
    labelNames: ['module', 'state'],
    registers: [registry],
    collect() {
      this.reset()
      for (const [module, read] of pools) {
        const use = read()
        this.set({ module, state: 'in_use' }, use.inUse)
        this.set({ module, state: 'idle' }, use.idle)
      }
    },
  })
  gauge('db_pool_connections_waiting', 'Statements and transactions of the module waiting for a pool connection', (use) => use.waiting)
  gauge('db_pool_connections_max', 'Size of the module database pool (DB_POOL_MAX)', (use) => use.max)
}

/** Observes one value into one fixed label set. */
export type Series = (value: number) => void

type Entry = { labels: Record<string, string | number>; sum: number; count: number; bucketValues: Record<string, number> }
/** prom-client 15's per-label-set state (`lib/histogram.js`), which its `/metrics` output is rendered from. */
type HistogramState = { hashMap: Record<string, Entry>; upperBounds: readonly number[]; labelNames: readonly string[] }

/**
 * One label set of a prom-client histogram, observed without prom-client's per-call label
 * work (validating, sorting and hashing the labels: ~0.3–0.7 µs, against ~0.02 µs here). The
 * first observation goes through `observe`, which validates the labels and creates the
 * series; later ones add to that series' own counters, which `/metrics` renders as before.
 * After `reset()` or `remove()` the series is gone from the histogram and `observe` recreates
 * it. Not for histograms with exemplars, whose buckets this does not update.
 */
export function histogramSeries<L extends string>(histogram: Histogram<L>, labels: LabelValues<L>): Series {
  const state = histogram as unknown as HistogramState
  const bounds = state.upperBounds
  const bucketKeys = bounds.map(String)
  let hash = ''
  let entry: Entry | undefined
  return (value) => {
    if (entry === undefined || state.hashMap[hash] !== entry || !Number.isFinite(value)) {
      histogram.observe(labels, value)
      ;[hash, entry] = findEntry(state, labels) ?? ['', undefined]
      return
    }
    entry.sum += value
    entry.count += 1
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        entry.bucketValues[bucketKeys[i]!]! += 1
        return
      }
    }
  }
}

function findEntry(state: HistogramState, labels: Record<string, unknown>): [string, Entry] | undefined {
  return Object.entries(state.hashMap).find(([, entry]) =>
    state.labelNames.every((name) => String(entry.labels[name]) === String(labels[name])),
  )
}
