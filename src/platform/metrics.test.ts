import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Histogram, Registry } from 'prom-client'
import { histogramSeries } from './metrics.ts'
import { probeModule } from './testing/fixtures/probe-module.ts'
import { createTestPlatform, type TestPlatform } from './testing/harness.ts'

let t: TestPlatform
beforeAll(async () => {
  t = await createTestPlatform([probeModule])
})
afterAll(() => t.close())

async function scrape(): Promise<string> {
  const res = await t.request('/metrics')
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toContain('text/plain')
  return res.text()
}

/** The value of one series, matched by name and exact label set. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line)
    if (!match || match[1] !== name) continue
    const have = (match[2] ?? '').split(/,(?=[a-z_]+=")/).sort()
    if (have.join(',') === wanted.join(',')) return Number(match[3])
  }
  return undefined
}

describe('/metrics', () => {
  test("has prom-client's default process metrics under Bun", async () => {
    const text = await scrape()
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_cpu_system_seconds_total',
      'process_resident_memory_bytes',
      'process_start_time_seconds',
      'nodejs_heap_size_total_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(text).toMatch(new RegExp(`^${name} \\d`, 'm'))
    }
    expect(Number(/^process_resident_memory_bytes (\S+)/m.exec(text)?.[1])).toBeGreaterThan(0)
  })

  test('labels requests by module, method, route template and status — never by id', async () => {
    expect((await t.request('/api/users/987654321')).status).toBe(404)
    expect((await t.request('/api/users/987654322')).status).toBe(404)
    expect((await t.request('/api/users', { method: 'POST', json: { name: 'metered' } })).status).toBe(201)
    expect((await t.request('/api/users/not-an-id')).status).toBe(400)
    expect((await t.request('/api/nowhere/555444333')).status).toBe(404)

    const text = await scrape()
    const count = (labels: Record<string, string>) => sample(text, 'http_request_duration_seconds_count', labels)
    expect(count({ module: 'probe', method: 'GET', route: '/api/users/:id', status: '404' })).toBe(2)
    expect(count({ module: 'probe', method: 'POST', route: '/api/users', status: '201' })).toBe(1)
    // A request refused by validation is still counted under its route.
    expect(count({ module: 'probe', method: 'GET', route: '/api/users/:id', status: '400' })).toBe(1)
    expect(count({ module: 'platform', method: 'GET', route: 'unmatched', status: '404' })).toBe(1)
    for (const raw of ['987654321', '987654322', 'not-an-id', '555444333', '/api/nowhere']) {
      expect(text).not.toContain(raw)
    }
  })

  test('times database queries per module', async () => {
    const [item] = await t.sql.probe!`insert into items (name) values ('timed') returning id::text as id`
    const before = sample(await scrape(), 'db_query_duration_seconds_count', { module: 'probe', kind: 'query' }) ?? 0
    expect((await t.request(`/api/users/${item!.id}`)).status).toBe(200)
    expect((await t.request('/api/users?first=5')).status).toBe(200)
    const after = sample(await scrape(), 'db_query_duration_seconds_count', { module: 'probe', kind: 'query' })
    expect(after).toBe(before + 2)
  })
})

describe('histogram series', () => {
  const twins = () => {
    const registry = new Registry()
    const make = (name: string) =>
      new Histogram({ name, help: 'h', labelNames: ['module', 'kind'], buckets: [0.001, 0.01, 0.1], registers: [registry] })
    return { registry, fast: make('fast_seconds'), plain: make('plain_seconds') }
  }
  // Either histogram's output, named alike, so the two can be compared line for line.
  const rendered = async (registry: Registry, name: string) =>
    (await registry.getSingleMetricAsString(name)).replaceAll(name, 'h_seconds')

  test("renders exactly as prom-client's own observe, bucket edges and overflow included", async () => {
    const { registry, fast, plain } = twins()
    const series = histogramSeries(fast, { module: 'users', kind: 'query' })
    const other = histogramSeries(fast, { module: 'users', kind: 'transaction' })
    for (const value of [0, 0.0005, 0.001, 0.005, 0.01, 0.1, 0.2, 7]) {
      series(value)
      plain.observe({ module: 'users', kind: 'query' }, value)
    }
    other(0.05)
    plain.observe({ module: 'users', kind: 'transaction' }, 0.05)
    expect(await rendered(registry, 'fast_seconds')).toBe(await rendered(registry, 'plain_seconds'))
    expect(await rendered(registry, 'fast_seconds')).toContain('h_seconds_count{module="users",kind="query"} 8')
  })

  test('keeps counting after the histogram is reset or the series removed', async () => {
    const { registry, fast, plain } = twins()
    const series = histogramSeries(fast, { module: 'users', kind: 'query' })
    series(0.002)
    fast.reset()
    series(0.003)
    series(0.004)
    fast.remove({ module: 'users', kind: 'query' })
    series(0.02)
    plain.observe({ module: 'users', kind: 'query' }, 0.02)
    expect(await rendered(registry, 'fast_seconds')).toBe(await rendered(registry, 'plain_seconds'))
  })

  test('refuses a value that is not a finite number, as observe does', () => {
    const { fast } = twins()
    const series = histogramSeries(fast, { module: 'users', kind: 'query' })
    series(0.001)
    expect(() => series(Number.NaN)).toThrow(TypeError)
  })
})
