/**
 * Tokens whose signature and claims were checked, each with what it vouches for until `until`
 * (epoch seconds), at most `limit` of them: when full, the one remembered first is forgotten
 * (a Map keeps insertion order, so that is its first key). No LRU bookkeeping on a hit: a client
 * sends the same token on every request until it refreshes, so a token still in use that was
 * forgotten is checked and remembered again.
 *
 * @example
 * const verified = createVerifiedTokens<Claims>(10_000, () => Date.now() / 1000)
 * verified.remember(token, claims, exp)
 * verified.recall(token) // claims until exp, then undefined
 */
export function createVerifiedTokens<T>(limit: number, now: () => number) {
  const entries = new Map<string, { value: T; until: number }>()
  return {
    recall(token: string): T | undefined {
      const entry = entries.get(token)
      if (entry === undefined) return undefined
      if (now() < entry.until) return entry.value
      entries.delete(token)
      return undefined
    },
    remember(token: string, value: T, until: number): void {
      if (entries.size >= limit && !entries.has(token)) entries.delete(entries.keys().next().value as string)
      entries.set(token, { value, until })
    },
    size: () => entries.size,
  }
}
