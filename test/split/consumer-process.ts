/**
 * The split test's consuming process (test/split/consumer-main.ts) as a real OS process:
 * started with only the environment it is given, stopped gracefully or killed outright.
 */
import type { Subprocess } from 'bun'
import { REPO_ROOT } from '../../src/platform/testing/processes.ts'

export type ConsumerProcess = {
  pid: number
  /** stdout and stderr so far, for failure messages. */
  output: () => string
  /** `kill -9`: no shutdown code runs, open transactions are cut off, nothing is acknowledged. */
  killHard: () => Promise<void>
  /** SIGTERM, then waits for the exit. */
  stop: () => Promise<void>
}

const ENTRY = 'test/split/consumer-main.ts'

/** Starts the consumer and resolves once its /readyz answers 200 (migrated, Redis reachable). */
export async function startConsumer(env: Record<string, string>, timeoutMs = 30_000): Promise<ConsumerProcess> {
  const child: Subprocess<'ignore', 'pipe', 'pipe'> = Bun.spawn([process.execPath, ENTRY], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const chunks: string[] = []
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder()
    for await (const chunk of stream) chunks.push(decoder.decode(chunk, { stream: true }))
  }
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)])
  const exited = child.exited.then(async () => void (await drained))
  const output = () => chunks.join('')
  const ends = async (signal: 'SIGKILL' | 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    await exited
  }
  const consumer: ConsumerProcess = {
    pid: child.pid,
    output,
    killHard: () => ends('SIGKILL'),
    stop: () => ends('SIGTERM'),
  }

  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.exitCode !== null) throw new Error(`consumer exited with ${child.exitCode} before it was ready:\n${output()}`)
    const status = await fetch(`http://127.0.0.1:${env.PORT}/readyz`).then((r) => r.status, () => 0)
    if (status === 200) return consumer
    if (Date.now() > deadline) {
      await consumer.stop()
      throw new Error(`consumer not ready within ${timeoutMs} ms:\n${output()}`)
    }
    await Bun.sleep(50)
  }
}
