/**
 * Polls `check` until it gives a value (a throw counts as none yet: the app may be restarting),
 * for the tests that drive real processes.
 * @example
 * const key = await waitFor('the stream key', () => keyOf(app), 10_000)
 */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check().catch(() => undefined)
    if (value) return value
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await Bun.sleep(100)
  }
}
