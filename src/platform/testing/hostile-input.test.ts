import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { hostileBody, hostileId } from './hostile-input.ts'

describe('hostile input', () => {
  test('bodies include the near miss, JSON, text and nothing', () => {
    const bodies = fc.sample(hostileBody(fc.constant({ near: 'miss' })), 400)
    expect(bodies).toContain('{"near":"miss"}')
    expect(bodies).toContain('')
    expect(bodies.every((body) => typeof body === 'string')).toBe(true)
  })

  test("ids include the test's own and values past a bigint's range", () => {
    const ids = fc.sample(hostileId('4242'), 600)
    expect(ids).toContain('4242')
    expect(ids).toContain('9223372036854775808')
    expect(ids.some((id) => /^[0-9a-f]{8}-/.test(id))).toBe(true)
  })
})
