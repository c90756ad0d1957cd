import type { Sql } from 'postgres'
import { databaseDigest } from './database-digest.ts'
import type { TestPlatform } from './harness.ts'

/**
 * Sends a request that may be hostile and says what harm it did, if any: a 5xx, a refusal that
 * is not problem+json, or a refusal that changed the module's database (a partial write).
 * `undefined` when it did none, which is what every fuzz case over a module's routes asserts.
 *
 * @example
 * expect(await harmOf(t, t.sql.streams!, '/api/channels?broadcaster_id=x', { method: 'PATCH', body: '{' })).toBeUndefined()
 */
export async function harmOf(t: TestPlatform, sql: Sql, path: string, init: Parameters<TestPlatform['request']>[1]): Promise<string | undefined> {
  const before = await databaseDigest(sql)
  const res = await t.request(path, init)
  const what = `${init?.method ?? 'GET'} ${path} → ${res.status}`
  if (res.status >= 500) return `${what}: ${await res.text()}`
  if (res.status < 400) return undefined
  const type = res.headers.get('content-type')
  if (type !== 'application/problem+json') return `${what} answered as ${type}, not application/problem+json`
  if ((await databaseDigest(sql)) !== before) return `${what} changed the database`
  return undefined
}
