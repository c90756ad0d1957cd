import { collectDefaultMetrics, Histogram, Registry } from 'prom-client'

export type Metrics = {
  registry: Registry
  httpDuration: Histogram<'module' | 'method' | 'route' | 'status'>
  queryDuration: Histogram<'module' | 'kind'>
}

/** One registry per app, so tests building several apps in one process never collide. */
export function createMetrics(): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  return {
    registry,
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
