/** Where two values differ, as `path: got … expected …` lines: what a failing comparison prints first. */
export function differences(got: unknown, expected: unknown, path = '', out: string[] = []): string[] {
  if (Bun.deepEquals(got, expected)) return out
  const bothObjects = typeof got === 'object' && got !== null && typeof expected === 'object' && expected !== null
  if (!bothObjects || Array.isArray(got) !== Array.isArray(expected)) {
    out.push(`${path || '(root)'}: got ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`)
    return out
  }
  const g = got as Record<string, unknown>
  const e = expected as Record<string, unknown>
  for (const key of new Set([...Object.keys(e), ...Object.keys(g)])) differences(g[key], e[key], path ? `${path}.${key}` : key, out)
  return out
}
