import { describe, expect, test } from 'bun:test'
import pino from 'pino'
import { RequestScope, requestIdOf } from './request-scope.ts'

const withId = (id?: string) => new Request('http://ondes.test/', { headers: id === undefined ? {} : { 'x-request-id': id } })

describe('request ids', () => {
  test("a caller's token is kept: the gateway's hex id, a UUID, dashes and equals signs", () => {
    for (const id of ['0123456789abcdef0123456789abcdef', crypto.randomUUID(), 'trace-me_123==']) {
      expect(requestIdOf(withId(id))).toBe(id)
    }
  })

  test('anything else is replaced by a fresh UUID', () => {
    for (const id of [undefined, '', 'two words', 'a/b', 'x'.repeat(256), 'é']) {
      const made = requestIdOf(withId(id))
      expect(made).not.toBe(id)
      expect(made).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    }
    expect(requestIdOf(withId())).not.toBe(requestIdOf(withId()))
  })
})

describe('the request logger', () => {
  test('carries the request id, and is one logger per request', () => {
    const lines: string[] = []
    const base = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) })
    const scope = new RequestScope(undefined, 'req-42', base)
    expect(scope.log).toBe(scope.log)
    scope.log.info({ step: 1 }, 'hello')
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ requestId: 'req-42', step: 1, msg: 'hello' })
  })
})
