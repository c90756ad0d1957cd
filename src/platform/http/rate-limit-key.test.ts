import { describe, expect, test } from 'bun:test'
import { rateLimitKey } from './client-address.ts'

describe('rateLimitKey', () => {
  test('two IPv6 addresses of one /64 share a key, whatever their spelling', () => {
    const keys = ['2001:db8:1:2::1', '2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:0DB8:0001:0002:aaaa::9', '2001:db8:1:2:3:4:5:6'].map(rateLimitKey)
    expect(new Set(keys)).toEqual(new Set(['2001:db8:1:2::/64']))
  })

  test('neighbouring /64s do not', () => {
    expect(rateLimitKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64')
    expect(rateLimitKey('2001:db8::1')).toBe('2001:db8:0:0::/64')
    expect(rateLimitKey('2001:db8:0:1::1')).toBe('2001:db8:0:1::/64')
    expect(rateLimitKey('::1')).toBe('0:0:0:0::/64')
    expect(rateLimitKey('fe80::1:2:3:4')).toBe('fe80:0:0:0::/64')
    expect(rateLimitKey('64:ff9b::198.51.100.1')).toBe('64:ff9b:0:0::/64')
  })

  test('IPv4 and anything that is no address are keyed as they are', () => {
    for (const value of ['203.0.113.9', '203.0.113.10', 'unknown']) expect(rateLimitKey(value)).toBe(value)
  })
})
