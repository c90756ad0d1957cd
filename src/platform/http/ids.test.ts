import { expect, test } from 'bun:test'
import { BigintId } from './ids.ts'

test('a bigint id is decimal text from 1 to 2^63−1, nothing else', () => {
  for (const ok of ['1', '141981764', '9223372036854775807']) expect(BigintId.safeParse(ok).success).toBe(true)
  for (const bad of ['0', '01', '-1', '9223372036854775808', '1e3', ' 1', ':', '', '12345678901234567890']) {
    expect(BigintId.safeParse(bad).success).toBe(false)
  }
})
