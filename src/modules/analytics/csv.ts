/**
 * RFC 4180 text of `rows` under a header of `columns`. Hand-written rather than a library: the
 * cells are numbers, ids, ISO dates and currency codes, never user text, so quoting is the only
 * rule that can apply (and a spreadsheet formula cannot be planted).
 * @example
 * toCsv([{ date: '2026-12-01', follows: 3 }], ['date', 'follows']) // 'date,follows\r\n2026-12-01,3\r\n'
 */
export function toCsv(rows: Record<string, unknown>[], columns: readonly string[]): string {
  const cell = (value: unknown) => {
    const text = value === null || value === undefined ? '' : String(value)
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
  }
  return [columns.join(','), ...rows.map((row) => columns.map((c) => cell(row[c])).join(','))].map((line) => `${line}\r\n`).join('')
}

/** Whether the client asked for CSV (`Accept: text/csv`) rather than JSON. */
export const wantsCsv = (accept: string | undefined) => accept !== undefined && /(^|[\s,])text\/csv\b/i.test(accept)
