/**
 * A load generator of the chat fan-out figures (bench/chat-room.ts), in a process of its own so
 * that two of them share the receiving work: clients of one channel, over IRC lines (Ondes), raw
 * WebSocket text (the bare Bun pub/sub baseline) or Socket.IO (the Node baseline), driven by the
 * parent over IPC. Each message's text carries its sender, sequence number and send time
 * (`bench|<sender>|<seq>|<ms since the epoch>|`), so every receiver measures send → receive
 * and counts what it got.
 */
import { io, type Socket } from 'socket.io-client'

export type Protocol = 'irc' | 'raw' | 'sio'
export type Login = { nick: string; password?: string }
export type ClientCommand =
  | { type: 'connect'; protocol: Protocol; url: string; channel: string; logins: Login[]; concurrency: number }
  /** Each local sender `senders[i]` (global id `ids[i]`) sends every `periodMs` from `startAt + offsetsMs[i]` until `startAt + durationMs`. */
  | { type: 'steady'; senders: number[]; ids: number[]; offsetsMs: number[]; periodMs: number; startAt: number; durationMs: number; padTo: number }
  /** Each local sender sends `perSender` messages at once. */
  | { type: 'burst'; senders: number[]; ids: number[]; perSender: number; padTo: number }
  /** Waits until every client has `expected` minus its own messages (or the timeout), then reports. */
  | { type: 'drain'; expected: number; timeoutMs: number }
  | { type: 'reset' }
export type Sent = { type: 'sent'; sent: number[]; firstAt: number; lastAt: number }
export type Stats = {
  type: 'stats'
  /** Messages each client received (its own excluded by the server), and sent. */
  received: number[]
  own: number[]
  /** Latency histogram, BUCKET_MS wide buckets. */
  histogram: number[]
  firstAt: number
  lastAt: number
  frameBytes: number
  refusals: number
  firstRefusal: string | undefined
  closed: number
}

export const BUCKET_MS = 0.1
const BUCKETS = 300_000
const MARKER = /bench\|(\d+)\|(\d+)\|([\d.]+)\|/

const now = () => performance.timeOrigin + performance.now()
const reply = (message: unknown) => process.send!(message)

type Client = { send: (text: string) => void; close: () => void }

let protocol: Protocol = 'irc'
let channel = ''
let clients: Client[] = []
let received = new Int32Array(0)
let ownSent = new Int32Array(0)
let histogram = new Uint32Array(BUCKETS)
let firstAt = Infinity
let lastAt = 0
let frameBytes = 0
let refusals = 0
let firstRefusal: string | undefined
let closed = 0

function reset(): void {
  received = new Int32Array(clients.length)
  ownSent = new Int32Array(clients.length)
  histogram = new Uint32Array(BUCKETS)
  firstAt = Infinity
  lastAt = 0
  refusals = 0
  firstRefusal = undefined
}

/** One delivered frame (a frame may hold several IRC lines). */
function take(index: number, frame: string): void {
  const at = now()
  const match = MARKER.exec(frame)
  if (match === null) {
    if (protocol === 'irc' && frame.includes(' NOTICE #')) {
      refusals += 1
      firstRefusal ??= frame.trimEnd()
    }
    return
  }
  received[index]! += 1
  frameBytes = frame.length
  const latency = at - Number(match[3])
  histogram[Math.min(BUCKETS - 1, Math.max(0, Math.floor(latency / BUCKET_MS)))]! += 1
  if (at > lastAt) lastAt = at
  if (at < firstAt) firstAt = at
}

function ircClient(index: number, url: string, login: Login): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['irc'])
    let joined = false
    const timer = setTimeout(() => reject(new Error(`client ${login.nick}: not joined in 60 s`)), 60_000)
    ws.onopen = () => {
      ws.send(`CAP REQ :twitch.tv/tags twitch.tv/commands\r\n${login.password ? `PASS ${login.password}\r\n` : ''}NICK ${login.nick}\r\nJOIN #${channel}\r\n`)
    }
    ws.onmessage = (event) => {
      const frame = event.data as string
      if (joined) {
        if (frame.startsWith('PING')) ws.send('PONG :tmi.twitch.tv')
        else take(index, frame)
        return
      }
      if (frame.includes('ROOMSTATE')) {
        joined = true
        clearTimeout(timer)
        resolve({ send: (text) => ws.send(`PRIVMSG #${channel} :${text}`), close: () => ws.close() })
      } else if (frame.includes('NOTICE')) reject(new Error(`client ${login.nick}: ${frame.trimEnd()}`))
    }
    ws.onclose = () => {
      if (joined) closed += 1
      else reject(new Error(`client ${login.nick}: closed before joining`))
    }
  })
}

function rawClient(index: number, url: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.onopen = () => resolve({ send: (text) => ws.send(text), close: () => ws.close() })
    ws.onerror = () => reject(new Error(`raw client ${index}: could not connect`))
    ws.onmessage = (event) => take(index, event.data as string)
    ws.onclose = () => void (closed += 1)
  })
}

function socketIoClient(index: number, url: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket: Socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false })
    socket.on('connect', () => resolve({ send: (text) => void socket.emit('m', text), close: () => void socket.close() }))
    socket.on('connect_error', (error) => reject(new Error(`socket.io client ${index}: ${error.message}`)))
    socket.on('m', (text: string) => take(index, text))
    socket.on('disconnect', () => void (closed += 1))
  })
}

async function connect(command: Extract<ClientCommand, { type: 'connect' }>): Promise<void> {
  protocol = command.protocol
  channel = command.channel
  clients = new Array(command.logins.length)
  reset()
  const open = (i: number) =>
    protocol === 'irc' ? ircClient(i, command.url, command.logins[i]!) : protocol === 'raw' ? rawClient(i, command.url) : socketIoClient(i, command.url)
  let next = 0
  // A few handshakes at a time: thousands at once overrun the listen backlog of a loaded server.
  await Promise.all(
    Array.from({ length: command.concurrency }, async () => {
      while (next < command.logins.length) {
        const i = next++
        clients[i] = await open(i)
      }
    }),
  )
}

/** The text of one message, padded with `x` to `padTo` characters. */
const textOf = (id: number, seq: number, padTo: number) => {
  const head = `bench|${id}|${seq}|${now().toFixed(3)}|`
  return head.length >= padTo ? head : head + 'x'.repeat(padTo - head.length)
}

async function steady(command: Extract<ClientCommand, { type: 'steady' }>): Promise<Sent> {
  const sent = new Array<number>(command.senders.length).fill(0)
  let first = Infinity
  let last = 0
  await Promise.all(
    command.senders.map(async (local, i) => {
      let at = command.startAt + command.offsetsMs[i]!
      const end = command.startAt + command.durationMs
      while (at < end) {
        const wait = at - now()
        if (wait > 0) await Bun.sleep(wait)
        const t = now()
        if (t < first) first = t
        last = Math.max(last, t)
        clients[local]!.send(textOf(command.ids[i]!, sent[i]!, command.padTo))
        sent[i]! += 1
        ownSent[local]! += 1
        at += command.periodMs
      }
    }),
  )
  return { type: 'sent', sent, firstAt: first, lastAt: last }
}

function burst(command: Extract<ClientCommand, { type: 'burst' }>): Sent {
  const sent = new Array<number>(command.senders.length).fill(0)
  const first = now()
  for (let seq = 0; seq < command.perSender; seq++) {
    command.senders.forEach((local, i) => {
      clients[local]!.send(textOf(command.ids[i]!, seq, command.padTo))
      sent[i]! += 1
      ownSent[local]! += 1
    })
  }
  return { type: 'sent', sent, firstAt: first, lastAt: now() }
}

async function drain(command: Extract<ClientCommand, { type: 'drain' }>): Promise<Stats> {
  const deadline = performance.now() + command.timeoutMs
  // Socket.IO's and the raw baseline's broadcast skip the sender too.
  const complete = () => received.every((n, i) => n >= command.expected - ownSent[i]!)
  while (!complete() && performance.now() < deadline) await Bun.sleep(50)
  return {
    type: 'stats',
    received: [...received],
    own: [...ownSent],
    histogram: [...histogram],
    firstAt,
    lastAt,
    frameBytes,
    refusals,
    firstRefusal,
    closed,
  }
}

// Only when run as the generator: the figure imports this file for its types and BUCKET_MS.
if (import.meta.main) {
  process.on('message', async (command: ClientCommand) => {
    try {
      if (command.type === 'connect') {
        await connect(command)
        reply({ type: 'connected', clients: clients.length })
      } else if (command.type === 'steady') reply(await steady(command))
      else if (command.type === 'burst') reply(burst(command))
      else if (command.type === 'drain') reply(await drain(command))
      else if (command.type === 'reset') {
        reset()
        reply({ type: 'reset' })
      }
    } catch (error) {
      reply({ type: 'error', message: error instanceof Error ? error.message : String(error) })
    }
  })
  reply({ type: 'ready' })
}
