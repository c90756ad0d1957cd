/**
 * The client address as a served instance keys its per-address limits and records it on
 * sessions, with TRUST_PROXY off (a direct client forging X-Forwarded-For) and on (behind the
 * gateway, with a client that writes hops of its own).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createTestPlatform, type TestPlatform } from '../../platform/testing/harness.ts'
import { users } from './index.ts'

const LIMIT = 3
const platforms: TestPlatform[] = []
const served = { direct: '', proxied: '' }
beforeAll(async () => {
  // Without REDIS_URL: each platform counts in its own memory, so no other test shares a window.
  for (const [name, trust] of [['direct', 'false'], ['proxied', 'true']] as const) {
    const t = await createTestPlatform([users], { TRUST_PROXY: trust, AUTH_ATTEMPTS_PER_MINUTE: String(LIMIT) })
    platforms.push(t)
    served[name] = `http://127.0.0.1:${t.platform.serve({ port: 0, hostname: '::' }).port}`
  }
})
afterAll(() => Promise.all(platforms.map((t) => t.close())))

const post = (base: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
const from = (xff: string) => ({ 'x-forwarded-for': xff })

/** Registers through `base` with `headers`; the `ip` its session was opened with. */
async function sessionAddress(base: string, login: string, headers: Record<string, string>): Promise<string | null> {
  const res = await post(base, '/api/auth/register', { login, email: `${login}@example.test`, password: 'correct horse battery' }, headers)
  expect(res.status).toBe(201)
  const token = ((await res.json()) as { data: { access_token: string } }).data.access_token
  const sessions = await fetch(`${base}/api/auth/sessions`, { headers: { authorization: `Bearer ${token}` } })
  return ((await sessions.json()) as { data: { ip: string | null }[] }).data[0]?.ip ?? null
}

/**
 * Statuses of login attempts (a body that fails validation, so no hash runs) with each header:
 * the per-address limit counts them all, and answers 429 once an address is past it.
 */
const attempts = async (base: string, forwardedFor: string[]) => {
  const statuses: number[] = []
  for (const xff of forwardedFor) statuses.push((await post(base, '/api/auth/login', {}, from(xff))).status)
  return statuses
}

describe('TRUST_PROXY off: X-Forwarded-For is the client talking', () => {
  test('a session records the socket peer, not the forged header', async () => {
    expect(await sessionAddress(served.direct, 'direct_forger', from('203.0.113.66'))).toBe('127.0.0.1')
  })

  test('a new forged address per attempt still counts against the one real address', async () => {
    const forged = Array.from({ length: LIMIT + 1 }, (_, i) => `198.51.100.${i + 1}`)
    expect(await attempts(served.direct, forged)).toEqual([...Array(LIMIT).fill(400), 429])
  })
})

describe('TRUST_PROXY on: the right-most hop is the one our gateway wrote', () => {
  test('a session records that hop, whatever the client put before it', async () => {
    expect(await sessionAddress(served.proxied, 'proxied_one', from('10.6.6.6, 203.0.113.10'))).toBe('203.0.113.10')
    expect(await sessionAddress(served.proxied, 'proxied_six', from('2001:DB8::10'))).toBe('2001:db8::10')
    // Garbage is nobody's address: the peer (the gateway, here this test) is recorded.
    expect(await sessionAddress(served.proxied, 'proxied_junk', from('not-an-address'))).toBe('127.0.0.1')
  })

  test('hops the client adds on the left do not give it a fresh limit', async () => {
    const client = '203.0.113.20'
    const spoofed = Array.from({ length: LIMIT + 2 }, (_, i) => (i === 0 ? client : `198.51.100.${i}, ${client}`))
    expect(await attempts(served.proxied, spoofed)).toEqual([...Array(LIMIT).fill(400), 429, 429])
    // Another client behind the same gateway has its own window, even if it claims the first one's address.
    expect(await attempts(served.proxied, [`${client}, 203.0.113.21`])).toEqual([400])
  })

  test('IPv6 clients are limited by their address, in whatever case or brackets it arrives', async () => {
    const forms = ['2001:db8::20', '2001:DB8::20', '[2001:db8::20]', '[2001:db8::20]:443']
    expect(await attempts(served.proxied, forms)).toEqual([...Array(LIMIT).fill(400), 429])
  })
})
