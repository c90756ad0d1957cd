import { accepts, freePort } from './processes.ts'

export type PrivateRedis = {
  url: string
  /** SIGSTOP: connections stay open and commands are taken, but nothing answers (a hung server). */
  freeze: () => void
  /** SIGCONT: answers again, queued commands first. */
  thaw: () => void
  stop: () => Promise<void>
}

/**
 * A `redis-server` of the test's own on a free loopback port, with nothing persisted, for tests
 * that freeze or kill Redis: the shared one is everyone's and is never touched.
 *
 * @example
 * const redis = await startPrivateRedis()
 * redis.freeze() // requests through it now wait for their timeouts
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = freePort()
  const child = Bun.spawn(['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdout: 'ignore',
    stderr: 'inherit',
  })
  const deadline = performance.now() + 10_000
  while (!(await accepts(port))) {
    if (child.exitCode !== null || performance.now() > deadline) throw new Error(`redis-server on port ${port} did not start`)
    await Bun.sleep(20)
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    freeze: () => child.kill('SIGSTOP'),
    thaw: () => child.kill('SIGCONT'),
    stop: async () => {
      child.kill('SIGCONT')
      child.kill('SIGKILL')
      await child.exited
    },
  }
}
