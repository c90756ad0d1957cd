/**
 * Labels stay bounded (DESIGN §12): a busy instance is scraped after one round of traffic and
 * again after a second round over other users, ids, paths and query strings; no label may
 * have gained values with the data. Label values are module, route template, status, event
 * type, job…, never an id.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { users } from '../../src/modules/users/index.ts'
import { registerAccount, type SignedIn } from '../../src/modules/users/test-accounts.ts'
import { createTestPlatform, type TestPlatform } from '../../src/platform/testing/harness.ts'

let t: TestPlatform

beforeAll(async () => {
  t = await createTestPlatform([users], { AUTH_ATTEMPTS_PER_MINUTE: '1000' })
}, 30_000)
afterAll(() => t.close())

type Series = { name: string; labels: Record<string, string>; value: number }

/** Every sample of a scrape, with its labels. */
async function scrape(): Promise<Series[]> {
  const text = await (await t.request('/metrics')).text()
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
      if (!match) throw new Error(`not an exposition line: ${line}`)
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]))
      return { name: match[1]!, labels, value: Number(match[3]) }
    })
}

/**
 * A scrape once the relay has published everything the traffic wrote (it runs on its own): the
 * outbox itself is read, since the backlog gauge may still hold a value from before the traffic.
 */
async function settledScrape(): Promise<Series[]> {
  for (let attempt = 0; ; attempt++) {
    const [row] = await t.sql.users!<{ unpublished: number }[]>`select count(*)::int as unpublished from outbox where published_at is null`
    const series = await scrape()
    const backlog = series.find((s) => s.name === 'events_outbox_backlog' && s.labels.module === 'users')
    if ((row?.unpublished === 0 && backlog?.value === 0) || attempt > 100) return series
    await Bun.sleep(50)
  }
}

/** prom-client's default process metrics, bounded by the runtime (GC kinds, heap spaces), not by traffic. */
const isRuntime = (name: string) => name.startsWith('process_') || name.startsWith('nodejs_')

/** Distinct values of each label of each metric: `metric{label}` → count. */
function cardinality(series: Series[]): Record<string, number> {
  const values = new Map<string, Set<string>>()
  for (const { name, labels } of series.filter((s) => !isRuntime(s.name))) {
    for (const [label, value] of Object.entries(labels)) {
      const key = `${name}{${label}}`
      values.set(key, (values.get(key) ?? new Set()).add(value))
    }
  }
  return Object.fromEntries([...values].map(([key, set]) => [key, set.size]).sort())
}

/** One round of traffic of every kind, over its own accounts and ids. */
async function round(tag: string, size: number): Promise<void> {
  const accounts: SignedIn[] = []
  for (let i = 0; i < 3; i++) accounts.push(await registerAccount(t, `${tag}user${i}`))
  const [a, b, c] = accounts as [SignedIn, SignedIn, SignedIn]
  await t.request(`/api/users/${b.id}/follow`, { method: 'PUT', token: a.accessToken })
  await t.request(`/api/users/${c.id}/follow`, { method: 'PUT', token: a.accessToken })
  await t.request(`/api/users/${c.id}/follow`, { method: 'DELETE', token: a.accessToken })
  await t.request('/api/auth/login', { method: 'POST', json: { login: a.login, password: 'wrong password here' } })
  await t.request('/api/users/me', { method: 'PATCH', token: b.accessToken, json: { description: `${tag} bio` } })
  const requests: Promise<Response>[] = []
  for (let i = 0; i < size; i++) {
    const id = String(1_000_000 * (tag === 'first' ? 1 : 2) + i)
    requests.push(
      t.request(`/api/users/${id}`),
      t.request(`/api/users/${id}/followers?first=${(i % 100) + 1}`),
      t.request(`/api/users?login=${tag}${i}&id=${id}`),
      t.request(`/api/users/${id}/follow`, { method: 'PUT', token: c.accessToken }),
      t.request(`/api/users/not-a-number-${tag}-${i}`),
      t.request(`/no/such/route/${tag}/${i}?q=${i}`),
      t.request(`/api/users/${id}/roles/admin`, { method: 'PUT', token: `garbage.${tag}.${i}` }),
    )
  }
  for (const res of await Promise.all(requests)) await res.arrayBuffer()
}

describe('label cardinality', () => {
  let first: Record<string, number>
  let second: Series[]

  test('a second, larger round of traffic over other ids adds no label value', async () => {
    // The scrapes are traffic too: the first one is counted in the second.
    await scrape()
    await round('first', 20)
    first = cardinality(await settledScrape())
    await round('second', 200)
    second = await settledScrape()
    expect(cardinality(second)).toEqual(first)
  }, 60_000)

  test('the traffic was seen: requests by module and route template, and the events it published', () => {
    expect(first['http_request_duration_seconds_bucket{route}']).toBeGreaterThanOrEqual(5)
    expect(first['events_published_total{type}']).toBeGreaterThanOrEqual(2)
    const routes = new Set(second.filter((s) => s.name === 'http_request_duration_seconds_count').map((s) => s.labels.route))
    expect(routes).toContain('/api/users/:id')
    expect(routes).toContain('unmatched')
  })

  test('no label value carries an id, a login or a path of the traffic', () => {
    const leaks = second
      .filter((s) => !isRuntime(s.name))
      .flatMap((s) => Object.entries(s.labels).map(([label, value]) => ({ series: `${s.name}{${label}="${value}"}`, value })))
      .filter(({ value }) => /\d{6,}|first|second|not-a-number|no\/such/.test(value))
      .map(({ series }) => series)
    expect([...new Set(leaks)]).toEqual([])
  })
})
