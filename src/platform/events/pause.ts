/** Resolves after `ms`, or at once when `signal` aborts, so a stopping loop does not wait out its sleep. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done)
  })
}

/** Exponential backoff for the `failures`-th failure in a row, capped. */
export const backoff = (failures: number, capMs = 5000) => Math.min(capMs, 100 * 2 ** Math.max(0, failures - 1))
