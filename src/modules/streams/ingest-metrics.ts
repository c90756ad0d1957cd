import type { MiddlewareHandler } from 'hono'
import { Counter, Histogram, type Registry } from 'prom-client'
import { DomainError } from '../../platform/errors.ts'
import type { AppEnv } from '../../platform/http/env.ts'
import { Problem } from '../../platform/http/problem.ts'

// The callbacks the media servers make, by server: the only values `callback` takes (bounded labels).
const CALLBACKS: Record<string, readonly string[]> = {
  rtmp: ['publish', 'update', 'publish_done', 'record_done'],
  mediamtx: ['auth', 'ready', 'not_ready'],
}
const CALLBACK_PATH = /^\/api\/ingest\/(rtmp|mediamtx)\/[^/]*\/([a-z_]{1,32})$/

export type IngestResult = 'allowed' | 'refused' | 'error'

/** A refusal is the media server being told no (a 4xx, as a wrong key is); only 5xx are errors. */
const resultOf = (status: number): IngestResult => (status >= 500 ? 'error' : status >= 400 ? 'refused' : 'allowed')

/**
 * Counts and times the media servers' callbacks (`ingest_callbacks_total{callback,result}`,
 * `ingest_callback_duration_seconds{callback}`), for the Ingest dashboard and the
 * IngestCallbacksFailing alert; paths that are not a callback pass by uncounted.
 *
 * @example router.use('/api/ingest/*', ingestMetrics(metrics.registry, 'streams'))
 */
export function ingestMetrics(registry: Registry, module: string): MiddlewareHandler<AppEnv> {
  const callbacks = new Counter({
    name: 'ingest_callbacks_total',
    help: 'Media server callbacks (nginx-rtmp on_*, MediaMTX hooks) by outcome: allowed, refused (4xx), error (5xx)',
    labelNames: ['module', 'callback', 'result'],
    registers: [registry],
  })
  const duration = new Histogram({
    name: 'ingest_callback_duration_seconds',
    help: 'Time to answer a media server callback',
    labelNames: ['module', 'callback'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  })
  return async (c, next) => {
    const match = CALLBACK_PATH.exec(c.req.path)
    const server = match?.[1]
    const name = match?.[2]
    if (!server || !name || !CALLBACKS[server]?.includes(name)) return next()
    const callback = `${server}_${name}`
    const started = performance.now()
    const record = (status: number) => {
      duration.observe({ module, callback }, (performance.now() - started) / 1000)
      callbacks.inc({ module, callback, result: resultOf(status) })
    }
    try {
      // A route's error has been answered by the platform by the time next() returns; what still throws is unanswered.
      await next()
    } catch (error) {
      record(error instanceof Problem ? error.status : error instanceof DomainError ? 400 : 500)
      throw error
    }
    record(c.res.status)
  }
}
