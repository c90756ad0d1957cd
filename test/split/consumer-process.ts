/**
 * The event tests' process (test/split/consumer-main.ts) as a real OS process:
 * started with only the environment it is given, stopped gracefully or killed outright.
 */
import { startApp } from '../../src/platform/testing/processes.ts'

export type ConsumerProcess = {
  pid: number
  /** stdout and stderr so far, for failure messages. */
  output: () => string
  /** `kill -9`: no shutdown code runs, open transactions are cut off, nothing is acknowledged. */
  killHard: () => Promise<void>
  /** SIGSTOP / SIGCONT: holds the process still, so what it holds can be read before it is killed. */
  freeze: () => void
  thaw: () => void
  /** SIGTERM, then waits for the exit. */
  stop: () => Promise<void>
}

const ENTRY = 'test/split/consumer-main.ts'
/** The entry of users alone, as an installation built before anything consumed its events. */
export const USERS_ALONE = 'test/split/users-alone-main.ts'

/** Starts the consumer and resolves once its /readyz answers 200 (migrated, Redis reachable). */
export async function startConsumer(env: Record<string, string>, timeoutMs = 30_000): Promise<ConsumerProcess> {
  const app = startApp(env, ENTRY)
  const ends = async (signal: 'SIGKILL' | 'SIGTERM') => {
    if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill(signal)
    await app.exited
  }
  const consumer: ConsumerProcess = {
    pid: app.child.pid,
    output: () => [...app.stdout, ...app.stderr].join('\n'),
    killHard: () => ends('SIGKILL'),
    freeze: () => void app.child.kill('SIGSTOP'),
    thaw: () => void app.child.kill('SIGCONT'),
    stop: () => ends('SIGTERM'),
  }
  try {
    await app.waitUntilReady(timeoutMs)
  } catch (error) {
    await consumer.stop()
    throw error
  }
  return consumer
}
