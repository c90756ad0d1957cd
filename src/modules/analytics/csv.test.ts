import { expect, test } from 'bun:test'
import { toCsv, wantsCsv } from './csv.ts'

test('CSV quotes what needs quoting and ends each line with CRLF', () => {
  expect(toCsv([{ a: 1, b: 'x,"y"' }, { a: null }], ['a', 'b'])).toBe('a,b\r\n1,"x,""y"""\r\n,\r\n')
})

test('CSV is chosen by Accept: text/csv only', () => {
  expect(wantsCsv('text/csv')).toBe(true)
  expect(wantsCsv('application/json, text/csv;q=0.5')).toBe(true)
  expect(wantsCsv('application/json')).toBe(false)
  expect(wantsCsv('text/csvx')).toBe(false)
  expect(wantsCsv(undefined)).toBe(false)
})
