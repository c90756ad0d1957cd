import { afterAll, beforeAll, expect, test } from 'bun:test'
import { probeModule } from './fixtures/probe-module.ts'
import { harmOf } from './harm.ts'
import { createTestPlatform, type TestPlatform } from './harness.ts'

let t: TestPlatform
beforeAll(async () => {
  t = await createTestPlatform([probeModule])
})
afterAll(() => t.close())

test('a clean refusal and an accepted write do no harm; a 5xx is harm, and says what it was', async () => {
  expect(await harmOf(t, t.sql.probe!, '/api/users/999999', {})).toBeUndefined()
  expect(await harmOf(t, t.sql.probe!, '/api/users', { method: 'POST', json: { name: 'kept' } })).toBeUndefined()
  // A code the module never mapped is a bug, answered 500.
  expect(await harmOf(t, t.sql.probe!, '/api/users/-/refusal/probe.unmapped', {})).toStartWith('GET /api/users/-/refusal/probe.unmapped → 500')
})
