import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { resolve } from 'node:path'
import type { Subprocess } from 'bun'

export const REPO_ROOT = resolve(import.meta.dir, '../../..')

/**
 * Where the kernel takes the local ports of outgoing connections from. A port handed out from
 * that range (as `port: 0` does) can be taken by one — a pool's new connection, nginx's to a
 * module — before the process it was meant for binds it; ports below it cannot.
 */
function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32_768
  } catch {
    return 32_768
  }
}
const PORTS_FROM = 10_000
const PORTS_BELOW = ephemeralLow()

/** A loopback port free right now (nothing is kept listening on it), outside the ephemeral range. */
export function freePort(): number {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = PORTS_FROM + Math.floor(Math.random() * (PORTS_BELOW - PORTS_FROM))
    try {
      Bun.listen({ hostname: '127.0.0.1', port, socket: { data() {} } }).stop(true)
      return port
    } catch {
      // Taken: try another.
    }
  }
  throw new Error(`no free loopback port between ${PORTS_FROM} and ${PORTS_BELOW}`)
}

/** Whether a new TCP connection to the loopback `port` is accepted. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      done(true)
    })
    socket.once('error', () => done(false))
  })
}

/** An HTTP/1.1 request whose body is only partly sent until `finish()`: a request in flight. */
export function halfSentRequest(port: number, path: string, body: string) {
  const socket = connect({ host: '127.0.0.1', port })
  socket.setEncoding('utf8')
  let raw = ''
  socket.on('data', (chunk: string) => (raw += chunk))
  const response = new Promise<{ status: number; body: unknown }>((done, fail) => {
    socket.once('error', fail)
    socket.once('close', () => {
      const [head = '', content = ''] = raw.split('\r\n\r\n')
      done({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), body: content ? JSON.parse(content) : undefined })
    })
  })
  const split = Math.floor(body.length / 2)
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body.slice(0, split)}`,
  )
  return { response, finish: () => socket.write(body.slice(split)) }
}

export type AppProcess = {
  child: Subprocess<'ignore', 'pipe', 'pipe'>
  baseUrl: string
  /** stdout and stderr lines so far, in arrival order per stream. */
  stdout: string[]
  stderr: string[]
  /** Resolves once a stdout or stderr line matches, or rejects when the process exits first. */
  waitForLine: (pattern: RegExp, timeoutMs?: number) => Promise<string>
  /** Polls `/readyz` until it answers 200. */
  waitUntilReady: (timeoutMs?: number) => Promise<void>
  exited: Promise<number>
}

async function collect(stream: ReadableStream<Uint8Array>, into: string[], changed: () => void): Promise<void> {
  const decoder = new TextDecoder()
  let pending = ''
  for await (const chunk of stream) {
    const parts = (pending + decoder.decode(chunk, { stream: true })).split('\n')
    pending = parts.pop() ?? ''
    into.push(...parts)
    changed()
  }
  if (pending) into.push(pending)
  changed()
}

/**
 * Runs `bun src/main.ts` (or another entry that serves a platform) as a user would, with only
 * `env` (plus PATH and HOME) in its environment, so nothing configured in the test's own
 * environment leaks in. `cwd` runs a copy of the app elsewhere (the image test's).
 */
export function startApp(env: Record<string, string>, entry = 'src/main.ts', cwd = REPO_ROOT): AppProcess {
  const child = Bun.spawn([process.execPath, entry], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const stdout: string[] = []
  const stderr: string[] = []
  const listeners = new Set<() => void>()
  const changed = () => listeners.forEach((listener) => listener())
  const drained = Promise.all([collect(child.stdout, stdout, changed), collect(child.stderr, stderr, changed)])
  const exited = child.exited.then(async (code) => {
    await drained
    changed()
    return code
  })
  let done = false
  void exited.then(() => (done = true))
  const output = () => [...stdout, ...stderr].join('\n')
  const baseUrl = `http://127.0.0.1:${env.PORT}`

  const waitForLine = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<string>((found, fail) => {
      const timer = setTimeout(() => finish(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${output()}`)), timeoutMs)
      const check = () => {
        const line = [...stdout, ...stderr].find((l) => pattern.test(l))
        if (line !== undefined) finish(line)
        else if (done) finish(new Error(`exited before printing a line matching ${pattern}:\n${output()}`))
      }
      const finish = (result: string | Error) => {
        clearTimeout(timer)
        listeners.delete(check)
        if (typeof result === 'string') found(result)
        else fail(result)
      }
      listeners.add(check)
      check()
    })

  const waitUntilReady = async (timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      if (done) throw new Error(`exited before it was ready:\n${output()}`)
      const status = await fetch(`${baseUrl}/readyz`, { keepalive: false }).then(
        (res) => res.status,
        () => 0,
      )
      if (status === 200) return
      await Bun.sleep(100)
    }
    throw new Error(`not ready within ${timeoutMs} ms:\n${output()}`)
  }

  return { child, baseUrl, stdout, stderr, waitForLine, waitUntilReady, exited }
}
