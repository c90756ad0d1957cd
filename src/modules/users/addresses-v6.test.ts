/**
 * Per-address limits of a served instance behind the gateway (TRUST_PROXY, X-Forwarded-For)
 * key an IPv6 client by its /64: one subscriber rotating through its prefix gets one window.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createTestPlatform, type TestPlatform } from '../../platform/testing/harness.ts'
import { users } from './index.ts'

const LIMIT = 3
let t: TestPlatform
let base = ''
beforeAll(async () => {
  // Without REDIS_URL: the platform counts in its own memory, so no other test shares a window.
  t = await createTestPlatform([users], { TRUST_PROXY: 'true', AUTH_ATTEMPTS_PER_MINUTE: String(LIMIT) })
  base = `http://127.0.0.1:${t.platform.serve({ port: 0, hostname: '127.0.0.1' }).port}`
})
afterAll(() => t.close())

/** Login attempts (a body that fails validation, so no hash runs), one per forwarded address. */
async function attempts(forwardedFor: string[]): Promise<number[]> {
  const statuses: number[] = []
  for (const xff of forwardedFor) {
    const res = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': xff }, body: '{}' })
    statuses.push(res.status)
  }
  return statuses
}

const inPrefix = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}:${(i + 1).toString(16)}:0:0:1`)

describe('per-address limits behind the gateway', () => {
  test('addresses of one IPv6 /64 share a window', async () => {
    expect(await attempts(inPrefix('2001:db8:aa:1', LIMIT + 2))).toEqual([...Array(LIMIT).fill(400), 429, 429])
  })

  test('another /64, even the next one, has a window of its own', async () => {
    expect(await attempts(inPrefix('2001:db8:aa:2', LIMIT + 1))).toEqual([...Array(LIMIT).fill(400), 429])
  })

  test('IPv4 addresses are each their own, as before', async () => {
    const [a, b] = ['198.51.100.7', '198.51.100.8']
    expect(await attempts(Array(LIMIT + 1).fill(a))).toEqual([...Array(LIMIT).fill(400), 429])
    expect(await attempts([b])).toEqual([400])
  })

  test('a session still records the full IPv6 address, not its /64', async () => {
    const address = '2001:db8:bb:1:abcd::42'
    const res = await fetch(`${base}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
      body: JSON.stringify({ login: 'v6_session', email: 'v6_session@example.test', password: 'correct horse battery' }),
    })
    expect(res.status).toBe(201)
    const [row] = await t.sql.users!`select host(ip) as ip from sessions`
    expect(row?.ip).toBe(address)
  })
})
