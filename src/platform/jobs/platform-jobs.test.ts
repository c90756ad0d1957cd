import { afterEach, describe, expect, test } from 'bun:test'
import { OpenAPIHono } from '@hono/zod-openapi'
import { resolve } from 'node:path'
import { waitFor } from '../events/test-probe.ts'
import type { AppEnv } from '../http/env.ts'
import type { ModuleDefinition } from '../module.ts'
import { createTestPlatform, type TestPlatform } from '../testing/harness.ts'

const platforms: TestPlatform[] = []
afterEach(async () => {
  for (const t of platforms.splice(0)) await t.close()
})

/** What the module's jobs saw, in order. */
type Seen = string[]

/** A module whose jobs tell when they ran relative to its start, and whether its pool still answered when they stopped. */
function orderProbe(seen: Seen): ModuleDefinition {
  return {
    name: 'job-order',
    prefixes: [],
    migrations: resolve(import.meta.dir, 'job-probe/migrations'),
    create: ({ database }) => ({
      routes: new OpenAPIHono<AppEnv>(),
      start: async () => void seen.push('module started'),
      stop: async () => void seen.push('module stopped'),
      jobs: [
        {
          name: 'waits-for-stop',
          everyMs: 60_000,
          run: async ({ signal }) => {
            seen.push('run started')
            await new Promise((resolve) => signal.addEventListener('abort', resolve))
            const [row] = await database.sql<{ answer: number }[]>`select 42 as answer`
            seen.push(`pool answered ${row?.answer}`)
          },
        },
        {
          name: 'always-fails',
          everyMs: 10,
          run: async () => {
            throw new Error('out of luck')
          },
        },
      ],
    }),
  }
}

describe('jobs in the platform', () => {
  test('start after the module, show in /readyz and /metrics, and stop (their run done) before the module and its pool', async () => {
    const seen: Seen = []
    const t = await createTestPlatform([orderProbe(seen)])
    platforms.push(t)
    await waitFor('the job to run', async () => seen.includes('run started'))
    expect(seen.slice(0, 2)).toEqual(['module started', 'run started'])

    await waitFor('the failing job to say so', async () => {
      const body = (await (await t.request('/readyz')).json()) as { checks: Record<string, string> }
      return body.checks['job_job-order_always-fails'] === 'failing: out of luck'
    })
    const readyz = await t.request('/readyz')
    expect(readyz.status).toBe(503)
    expect(((await readyz.json()) as { checks: Record<string, string> }).checks['job_job-order_waits-for-stop']).toBe('ok')
    const metrics = await (await t.request('/metrics')).text()
    expect(metrics).toMatch(/job_failures_total\{module="job-order",job="always-fails"\} ([3-9]|[1-9]\d+)\n/)
    expect(metrics).toContain('job_failures_total{module="job-order",job="waits-for-stop"} 0')

    await t.platform.stop()
    expect(seen).toEqual(['module started', 'run started', 'pool answered 42', 'module stopped'])
  })
})
