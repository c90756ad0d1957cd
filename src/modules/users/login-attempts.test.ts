import { afterAll, beforeAll, describe, expect, spyOn, test } from 'bun:test'
import { createTestPlatform, type TestPlatform } from '../../platform/testing/harness.ts'
import { createModuleDatabase } from '../../platform/db/database.ts'
import { createMetrics } from '../../platform/metrics.ts'
import { createMemoryRateLimiter } from '../../platform/rate-limit.ts'
import { createAccounts } from './accounts.ts'
import { users } from './index.ts'
import { createLoginAttempts } from './login-attempts.ts'

// Behind a trusted proxy, X-Forwarded-For names the address, so one test plays many clients.
// Tests that hash a dozen times take 30 s: argon2id on a loaded 2-core CI is slow.
const ATTEMPTS_PER_MINUTE = 3
const FAILURES_PER_ACCOUNT = 4

let t: TestPlatform
beforeAll(async () => {
  t = await createTestPlatform([users], {
    TRUST_PROXY: 'true',
    AUTH_ATTEMPTS_PER_MINUTE: String(ATTEMPTS_PER_MINUTE),
    AUTH_FAILURES_PER_ACCOUNT: String(FAILURES_PER_ACCOUNT),
  })
})
afterAll(() => t.close())

const from = (address: string) => ({ 'x-forwarded-for': address })
const register = async (login: string, password: string, address: string) => {
  const res = await t.request('/api/auth/register', {
    method: 'POST',
    headers: from(address),
    json: { login, email: `${login}@example.test`, password },
  })
  expect(res.status).toBe(201)
}
const login = (loginName: string, password: string, address: string) =>
  t.request('/api/auth/login', { method: 'POST', headers: from(address), json: { login: loginName, password } })
const statuses = (responses: Response[]) => responses.map((r) => r.status)
/** `count` distinct addresses of a documentation range, one per attacker. */
const addresses = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}.${i + 1}`)

describe('logins are limited per account in failures, not attempts', () => {
  test('the owner signing in more often than the attempt limit, from several addresses, is never refused', async () => {
    await register('busy_owner', 'owner passphrase', '192.0.2.1')
    const results = []
    for (const address of addresses('192.0.2', 2 * ATTEMPTS_PER_MINUTE + 2)) results.push(await login('busy_owner', 'owner passphrase', address))
    expect(statuses(results).every((s) => s === 200)).toBe(true)
  }, 30_000)

  test('one account tried from many addresses is refused after its failures, before hashing; other accounts are not', async () => {
    await register('guessed_at', 'the real secret', '192.0.2.20')
    await register('bystander', 'quiet neighbour key', '192.0.2.21')
    const verify = spyOn(Bun.password, 'verify')
    try {
      const results = []
      // One attempt per address: a limit keyed by address alone would let every one through.
      for (const address of addresses('198.51.100', 3 * FAILURES_PER_ACCOUNT)) results.push(await login('guessed_at', 'guess', address))
      expect(statuses(results)).toEqual([
        ...Array<number>(FAILURES_PER_ACCOUNT).fill(401),
        ...Array<number>(2 * FAILURES_PER_ACCOUNT).fill(429),
      ])
      expect(verify.mock.calls.length).toBe(FAILURES_PER_ACCOUNT)
      const refused = results.at(-1)!
      expect(refused.headers.get('content-type')).toBe('application/problem+json')
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
      // The same addresses are not refused on another account: the count is the account's.
      expect((await login('bystander', 'guess', '198.51.100.12')).status).toBe(401)
      expect((await login('bystander', 'quiet neighbour key', '198.51.100.11')).status).toBe(200)
    } finally {
      verify.mockRestore()
    }
    // A login that matches no account is refused alike: a 429 tells nothing of who exists.
    const ghost = []
    for (const address of addresses('198.51.101', FAILURES_PER_ACCOUNT + 1)) ghost.push(await login('no_such_user', 'guess', address))
    expect(statuses(ghost)).toEqual([...Array<number>(FAILURES_PER_ACCOUNT).fill(401), 429])
  }, 30_000)

  test('the owner, from an address they signed in from, gets in while the account is hammered from others; the attacker stays bounded', async () => {
    await register('streamer', 'live every evening', '192.0.2.50')
    const verify = spyOn(Bun.password, 'verify')
    try {
      // Thirty guesses at once, each from an address of its own, while the owner signs in three times.
      const attack = Promise.all(addresses('203.0.113', 30).map((address) => login('streamer', 'guess', address)))
      const owner: Response[] = []
      for (let i = 0; i < 3; i++) owner.push(await login('streamer', 'live every evening', '192.0.2.50'))
      const attacker = statuses(await attack)
      expect(statuses(owner)).toEqual([200, 200, 200])
      // Each admitted guess counts as a failure until it fails, so concurrency buys no more.
      expect(attacker.filter((s) => s === 401)).toHaveLength(FAILURES_PER_ACCOUNT)
      expect(attacker.filter((s) => s === 429)).toHaveLength(30 - FAILURES_PER_ACCOUNT)
      expect(verify.mock.calls.length).toBe(FAILURES_PER_ACCOUNT + owner.length)
    } finally {
      verify.mockRestore()
    }
    // While the attack's failures last, an address that never signed in may not try, even with the password…
    expect((await login('streamer', 'live every evening', '192.0.2.99')).status).toBe(429)
  }, 30_000)
})

describe('signed in from', () => {
  test('an IPv6 owner, and a network they signed in from, are known while the account is over its cap', async () => {
    await register('v6_owner', 'over the rainbow', '2001:db8:1:2::7')
    for (const address of addresses('198.51.102', FAILURES_PER_ACCOUNT)) expect((await login('v6_owner', 'guess', address)).status).toBe(401)
    expect((await login('v6_owner', 'over the rainbow', '2001:db8:1:3::7')).status).toBe(429)
    expect((await login('v6_owner', 'over the rainbow', '2001:db8:1:2::7')).status).toBe(200)
    // Rate limits may key IPv6 by its /64; the account's sessions inside one count.
    const database = createModuleDatabase({ module: 'users', url: t.databaseUrls.users!, poolMax: 1, queryDuration: createMetrics().queryDuration })
    const accounts = createAccounts(database)
    expect(await accounts.signedInFrom('v6_owner', '2001:db8:1:2::/64')).toBe(true)
    expect(await accounts.signedInFrom('v6_owner', '2001:db8:1:3::/64')).toBe(false)
    for (const garbage of ['unknown', '2001:db8::/129', '1.2.3.4/33', '1.2.3.4/8/8', 'x/64']) expect(await accounts.signedInFrom('v6_owner', garbage)).toBe(false)
    await database.close()
  }, 30_000)
})

describe('createLoginAttempts', () => {
  const rules = { failuresPerAccount: 2, windowSeconds: 60 }
  const known = new Set(['192.0.2.1', '192.0.2.2'])
  const signedInFrom = async (_login: string, address: string) => known.has(address)
  const refused = (promise: Promise<unknown>) => expect(promise).rejects.toMatchObject({ code: 'rate_limited' })

  test('an address the owner signed in from is bounded by its own failures, once the account is over its cap', async () => {
    const attempts = createLoginAttempts(createMemoryRateLimiter(), signedInFrom, rules)
    for (const address of ['198.51.100.1', '198.51.100.2']) await attempts.admit('owner', address)
    await refused(attempts.admit('owner', '198.51.100.3'))
    // Guessing from a known address (a network the owner shares): two failures, then no more there…
    for (let i = 0; i < 2; i++) await attempts.admit('owner', '192.0.2.1')
    await refused(attempts.admit('owner', '192.0.2.1'))
    // …while the owner's other address still may try, and a success gives its count back.
    const attempt = await attempts.admit('owner', '192.0.2.2')
    await attempt.release()
    for (let i = 0; i < 2; i++) await attempts.admit('owner', '192.0.2.2')
    await refused(attempts.admit('owner', '192.0.2.2'))
  })

  test('a refused attempt counts nothing', async () => {
    const attempts = createLoginAttempts(createMemoryRateLimiter(), signedInFrom, rules)
    for (const address of ['198.51.100.1', '198.51.100.2']) await attempts.admit('owner', address)
    for (let i = 0; i < 5; i++) await refused(attempts.admit('owner', '198.51.100.3'))
    // Two failures of the known address's own are still allowed, not fewer.
    for (let i = 0; i < 2; i++) await attempts.admit('owner', '192.0.2.1')
    await refused(attempts.admit('owner', '192.0.2.1'))
  })
})
