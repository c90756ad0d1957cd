/** A plain-text table for the check scripts (`bun run status`, `bun run db:check`). */

/**
 * Columns padded to their widest cell, a rule under the header.
 * @example
 * console.log(table(['component', 'status'], [['redis', 'ok']]))
 */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}
