import { connect } from 'node:net'

/** A frame as received: text as a string, binary as bytes. */
export type Frame = string | Uint8Array

export type TestSocket = {
  /** The raw client (Bun's built-in `WebSocket`). */
  socket: WebSocket
  /** The subprotocol the server echoed, `''` when none. */
  protocol: string
  send: (data: string | Uint8Array) => void
  /** The next frame not yet taken by `next` or `waitFor`; rejects after `timeoutMs` or when the socket closes first. */
  next: (timeoutMs?: number) => Promise<Frame>
  /** Takes frames until one matches (those before it are dropped); rejects after `timeoutMs` or on close. */
  waitFor: (predicate: (frame: Frame) => boolean, timeoutMs?: number) => Promise<Frame>
  /** Frames received and not yet taken. */
  pending: Frame[]
  /** Resolves once the socket is closed, with the close frame's code and reason (1006 when there was none). */
  closed: Promise<{ code: number; reason: string }>
  close: (code?: number, reason?: string) => Promise<{ code: number; reason: string }>
}

/**
 * Connects a real WebSocket client, for tests against a served platform (chat's too):
 * resolves once open, rejects with the server's status when the upgrade is refused.
 *
 * @example
 * const ws = await connectSocket(`ws://127.0.0.1:${port}/socket-echo?name=ada`, { protocols: ['echo'] })
 * expect(ws.protocol).toBe('echo')
 * ws.send('hello')
 * expect(await ws.waitFor((frame) => frame === 'hello')).toBe('hello')
 * expect((await ws.close()).code).toBe(1000)
 */
export async function connectSocket(url: string, options: { protocols?: string[]; timeoutMs?: number } = {}): Promise<TestSocket> {
  const socket = new WebSocket(url, options.protocols ?? [])
  socket.binaryType = 'arraybuffer'
  const pending: Frame[] = []
  const waiters = new Set<() => void>()
  let closedWith: { code: number; reason: string } | undefined
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.addEventListener('close', (event) => {
      closedWith = { code: event.code, reason: event.reason }
      resolve(closedWith)
      waiters.forEach((wake) => wake())
    })
  })
  socket.addEventListener('message', (event) => {
    pending.push(typeof event.data === 'string' ? event.data : new Uint8Array(event.data as ArrayBuffer))
    waiters.forEach((wake) => wake())
  })

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${url}: not open within ${options.timeoutMs ?? 5000} ms`)), options.timeoutMs ?? 5000)
    socket.addEventListener('open', () => {
      clearTimeout(timer)
      resolve()
    })
    socket.addEventListener('error', () => {
      clearTimeout(timer)
      reject(new Error(`${url}: the upgrade failed (refused, or a subprotocol mismatch)`))
    })
  })

  const waitFor = (predicate: (frame: Frame) => boolean, timeoutMs = 5000) =>
    new Promise<Frame>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`no matching frame within ${timeoutMs} ms; pending: ${JSON.stringify(pending.map(String))}`)), timeoutMs)
      const check = () => {
        while (pending.length > 0) {
          const frame = pending.shift()!
          if (predicate(frame)) return finish(frame)
        }
        if (closedWith) finish(new Error(`closed (${closedWith.code} ${closedWith.reason}) before a matching frame`))
      }
      const finish = (result: Frame | Error) => {
        clearTimeout(timer)
        waiters.delete(check)
        if (result instanceof Error) reject(result)
        else resolve(result)
      }
      waiters.add(check)
      check()
    })

  return {
    socket,
    protocol: socket.protocol,
    send: (data) => socket.send(data),
    next: (timeoutMs) => waitFor(() => true, timeoutMs),
    waitFor,
    pending,
    closed,
    close: (code = 1000, reason = '') => {
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.close(code, reason)
      return closed
    },
  }
}

/**
 * Sends one upgrade request over a raw TCP connection and reads the answer, so a test sees
 * what a refusal looks like on the wire (status, headers, problem body), which a WebSocket
 * client hides. `key: false` leaves out Sec-WebSocket-Key (an invalid handshake).
 *
 * @example
 * const { status, body } = await rawUpgrade(port, '/socket-echo')
 * expect(status).toBe(400)
 */
export function rawUpgrade(
  port: number,
  path: string,
  options: { protocols?: string[]; key?: boolean } = {},
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Version: 13',
    ...(options.key === false ? [] : [`Sec-WebSocket-Key: ${Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64')}`]),
    ...(options.protocols ? [`Sec-WebSocket-Protocol: ${options.protocols.join(', ')}`] : []),
  ]
  return new Promise((resolve, reject) => {
    let raw = ''
    const timer = setTimeout(() => finish(new Error(`no answer to the upgrade within 5 s: ${JSON.stringify(raw)}`)), 5000)
    const finish = (result: Error | undefined) => {
      clearTimeout(timer)
      socket.destroy()
      if (result) return reject(result)
      const [head = '', body = ''] = raw.split('\r\n\r\n')
      const [statusLine = '', ...headerLines] = head.split('\r\n')
      const headers = Object.fromEntries(
        headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      )
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, body })
    }
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(`${lines.join('\r\n')}\r\n\r\n`))
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      raw += chunk
      const [head = '', body] = raw.split('\r\n\r\n')
      const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? NaN)
      // A 101 has no body; a refusal is complete once its Content-Length has arrived.
      if (body !== undefined && (head.startsWith('HTTP/1.1 101') || Buffer.byteLength(body) >= length)) finish(undefined)
    })
    socket.once('close', () => finish(undefined))
    socket.once('error', (error) => finish(error))
  })
}
