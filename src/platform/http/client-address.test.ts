import { afterAll, describe, expect, test } from 'bun:test'
import { Hono } from 'hono'
import { clientAddress } from './client-address.ts'

// A real server on both stacks (`::`), so the peer is a real socket's: IPv4 clients arrive as
// `::ffff:127.0.0.1`, IPv6 ones as `::1`.
const app = new Hono()
app.get('/:trust', (c) => c.text(clientAddress(c, c.req.param('trust') === 'trusted')))
const server = Bun.serve({ hostname: '::', port: 0, fetch: app.fetch })
afterAll(() => server.stop(true))

const seen = async (trust: 'trusted' | 'untrusted', headers: Record<string, string> | Headers = {}, host = '127.0.0.1') =>
  (await fetch(`http://${host}:${server.port}/${trust}`, { headers })).text()
const forwarded = (value: string) => ({ 'x-forwarded-for': value })

describe('clientAddress with TRUST_PROXY off', () => {
  test('is the socket peer (in its IPv4 form), whatever X-Forwarded-For says', async () => {
    expect(await seen('untrusted')).toBe('127.0.0.1')
    for (const value of ['203.0.113.9', '203.0.113.9, 198.51.100.1', '2001:db8::1', 'garbage']) {
      expect(await seen('untrusted', forwarded(value))).toBe('127.0.0.1')
    }
  })

  test('an IPv6 peer is itself', async () => {
    expect(await seen('untrusted', forwarded('203.0.113.9'), '[::1]')).toBe('::1')
  })

  test('with no socket behind the request (app.request) it is "unknown"', async () => {
    expect(await (await app.request('/untrusted', { headers: forwarded('203.0.113.9') })).text()).toBe('unknown')
  })
})

describe('clientAddress behind the gateway (TRUST_PROXY on)', () => {
  test('is the single entry the gateway writes', async () => {
    expect(await seen('trusted', forwarded('203.0.113.9'))).toBe('203.0.113.9')
    expect(await seen('trusted', forwarded('2001:db8::1'))).toBe('2001:db8::1')
  })

  test('of several hops, the right-most: the client writes what it likes to the left', async () => {
    expect(await seen('trusted', forwarded('198.51.100.1, 203.0.113.9'))).toBe('203.0.113.9')
    expect(await seen('trusted', forwarded('10.0.0.1,198.51.100.1 ,  203.0.113.9 '))).toBe('203.0.113.9')
    const twoLines = new Headers([
      ['x-forwarded-for', '198.51.100.1'],
      ['x-forwarded-for', '203.0.113.9'],
    ])
    expect(await seen('trusted', twoLines)).toBe('203.0.113.9')
  })

  test('is one canonical form of the address: no port, no brackets, lowercase, IPv4 unmapped', async () => {
    for (const [value, address] of [
      ['203.0.113.9:51234', '203.0.113.9'],
      ['[2001:DB8::1]', '2001:db8::1'],
      ['[2001:db8::1]:443', '2001:db8::1'],
      ['::FFFF:203.0.113.9', '203.0.113.9'],
    ] as const) {
      expect(await seen('trusted', forwarded(value))).toBe(address)
    }
  })

  test('an entry that is no address is not believed: the peer is used', async () => {
    for (const value of [
      '',
      'garbage',
      'unknown',
      '203.0.113.9,',
      '203.0.113.9, garbage',
      '203.0.113.9 198.51.100.1',
      '203.0.113.256',
      'localhost',
      '2001:db8::1::2',
      `${'1'.repeat(300)}`,
    ]) {
      expect([value, await seen('trusted', forwarded(value))]).toEqual([value, '127.0.0.1'])
    }
    expect(await seen('trusted', {}, '[::1]')).toBe('::1')
  })
})
