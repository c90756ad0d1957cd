import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

export type JobMetrics = {
  lastSuccess: Gauge<'module' | 'job'>
  failures: Counter<'module' | 'job'>
  duration: Histogram<'module' | 'job'>
  lockHeld: Gauge<'module' | 'job'>
}

const byRegistry = new WeakMap<Registry, JobMetrics>()

/**
 * The job metrics of `registry`, created on first use: the platform's module jobs and the event
 * machinery's loops share one set of series, told apart by their labels.
 */
export function jobMetrics(registry: Registry): JobMetrics {
  const existing = byRegistry.get(registry)
  if (existing) return existing
  const labelNames = ['module', 'job'] as const
  const metrics: JobMetrics = {
    lastSuccess: new Gauge({
      name: 'job_last_success_timestamp_seconds',
      help: 'When a run of the job last succeeded (Unix time)',
      labelNames,
      registers: [registry],
    }),
    failures: new Counter({ name: 'job_failures_total', help: 'Runs of the job that failed', labelNames, registers: [registry] }),
    duration: new Histogram({
      name: 'job_run_duration_seconds',
      help: 'How long runs of the job took, failed ones included',
      labelNames,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    lockHeld: new Gauge({
      name: 'job_singleton_lock_held',
      help: 'Whether this replica holds the singleton job lock (1) or stands by (0)',
      labelNames,
      registers: [registry],
    }),
  }
  byRegistry.set(registry, metrics)
  return metrics
}
