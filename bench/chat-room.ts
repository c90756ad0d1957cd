/**
 * Chat fan-out (issue 12's Speed): one channel on the whole app (`bun src/main.ts`, chat on its
 * own redis-server), IRC clients in load-generator processes of their own
 * (`servers/chat-room-clients.ts`), each figure beside a baseline measured in this run:
 *
 *   C1. 1 000 clients, 150 authenticated senders within their limits at 100 messages/s in all:
 *        every client gets every message; p99 send → receive, against bare Bun pub/sub at the same load.
 *   C2. peak deliveries/s to 1 000 clients (bursts of 20 messages from fresh senders) against a
 *        bare Bun.serve publishing frames of the same size, and a Socket.IO 4 broadcast on Node.
 *   C1′. (split) C1's load on a chat-only process (`MODULES=chat`), for how much of C1 the other modules take.
 *   C3. the load of C1 across two chat replicas through Redis (half the clients on each).
 *   C4. 10 000 idle authenticated connections joined to the channel: RSS of the chat process,
 *        against a bare Bun.serve holding as many subscribed WebSockets.
 *
 *   bun bench/chat-room.ts                 # all four
 *   bun bench/chat-room.ts steady peak     # some of: steady, split, peak, replicas, idle
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import postgres from 'postgres'
import { chatTokenOf } from '../src/platform/auth/chat-token.ts'
import { databaseUrlVariable } from '../src/platform/config.ts'
import { startPrivateRedis, type PrivateRedis } from '../src/platform/testing/private-redis.ts'
import { startOndesApp, type OndesApp } from './fixture.ts'
import { cleanEnv, cpuSeconds, fmtMs, freePort, log, LOG_DIR, medianRound, pct, report, ROOT, SETTINGS, startServer, waitFor, type Row } from './lib.ts'
import { BUCKET_MS, type ClientCommand, type Login, type Protocol, type Sent, type Stats } from './servers/chat-room-clients.ts'
import { benchTokens } from './tokens.ts'

export const CHAT = {
  clients: Number(process.env.BENCH_CHAT_CLIENTS ?? 1000),
  senders: Number(process.env.BENCH_CHAT_SENDERS ?? 150),
  /** Messages per second from all senders together. */
  rate: Number(process.env.BENCH_CHAT_RATE ?? 100),
  /** Load-generator processes (the machine has 2 cores). */
  processes: Number(process.env.BENCH_CHAT_PROCESSES ?? 2),
  /** Senders of each peak burst; each sends Twitch's 20 messages at once. */
  burstSenders: Number(process.env.BENCH_CHAT_BURST_SENDERS ?? 50),
  idle: Number(process.env.BENCH_CHAT_IDLE ?? 10_000),
  /** Characters of each message's text. */
  textLength: Number(process.env.BENCH_CHAT_TEXT ?? 60),
}
const PER_SENDER = 20
export const TARGETS = { p99Ms: 100, replicasP99Ms: 150, vsBun: 0.5, vsSocketIo: 3, idleMb: 300 }
const FIGURES = ['steady', 'split', 'peak', 'replicas', 'idle'] as const
type Figure = (typeof FIGURES)[number]

// ---------------------------------------------------------------------------------------------
// Load-generator processes

type Generator = { proc: Bun.Subprocess; request: <T>(command: ClientCommand) => Promise<T> }

const generators = new Set<Generator>()
process.on('exit', () => {
  for (const g of generators) g.proc.kill('SIGKILL')
})

async function startGenerator(name: string): Promise<Generator> {
  const waiting: ((message: unknown) => void)[] = []
  const logPath = resolve(LOG_DIR, `${name}.log`)
  const proc = Bun.spawn([process.execPath, 'bench/servers/chat-room-clients.ts'], {
    cwd: ROOT,
    env: cleanEnv(),
    stdin: 'ignore',
    stdout: Bun.file(logPath),
    stderr: Bun.file(logPath),
    serialization: 'json',
    ipc: (message) => waiting.shift()?.(message),
  })
  const next = () => new Promise<unknown>((resolveNext) => waiting.push(resolveNext))
  const ready = next()
  const generator: Generator = {
    proc,
    request: async <T,>(command: ClientCommand) => {
      const answer = next()
      proc.send(command)
      const message = (await Promise.race([answer, proc.exited.then(() => ({ type: 'error', message: `${name} exited; see ${logPath}` }))])) as {
        type: string
        message?: string
      }
      if (message.type === 'error') throw new Error(`${name}: ${message.message}`)
      return message as T
    },
  }
  generators.add(generator)
  await ready
  return generator
}

/** Clients of one server spread over CHAT.processes generators; `urls[p]` is the server of generator p. */
type Crowd = { generators: Generator[]; sizes: number[]; stop: () => void }

async function crowd(name: string, protocol: Protocol, urls: string[], logins: Login[], channel: string, processes = CHAT.processes): Promise<Crowd> {
  const sizes = Array.from({ length: processes }, (_, p) => Math.floor(logins.length / processes) + (p < logins.length % processes ? 1 : 0))
  const started = await Promise.all(sizes.map((_, p) => startGenerator(`${name}-${p}`)))
  let from = 0
  const slices = sizes.map((n) => logins.slice(from, (from += n)))
  const began = performance.now()
  await Promise.all(
    started.map((g, p) => g.request({ type: 'connect', protocol, url: urls[p % urls.length]!, channel, logins: slices[p]!, concurrency: 50 })),
  )
  log(`${name}: ${logins.length} ${protocol} clients connected in ${((performance.now() - began) / 1000).toFixed(1)} s`)
  return {
    generators: started,
    sizes,
    stop: () => {
      for (const g of started) {
        g.proc.kill('SIGTERM')
        generators.delete(g)
      }
    },
  }
}

type Run = {
  sent: number
  delivered: number
  expected: number
  /** Clients that did not get every message. */
  short: number
  p50: number
  p99: number
  max: number
  deliveriesPerSecond: number
  frameBytes: number
  refusals: number
  firstRefusal: string | undefined
  closed: number
}

function percentile(histogram: number[], total: number, q: number): number {
  let seen = 0
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i]!
    if (seen >= q * total) return (i + 1) * BUCKET_MS
  }
  return Infinity
}

/** Sends through the crowd (`plan` gives each generator its command), waits for every delivery, and sums the generators' stats. */
async function measure(c: Crowd, plan: (p: number) => ClientCommand, drainMs = 30_000): Promise<Run> {
  await Promise.all(c.generators.map((g) => g.request({ type: 'reset' })))
  const sent = await Promise.all(c.generators.map((g, p) => g.request<Sent>(plan(p))))
  const total = sent.reduce((sum, s) => sum + s.sent.reduce((a, b) => a + b, 0), 0)
  const firstSent = Math.min(...sent.map((s) => s.firstAt ?? Infinity))
  const stats = await Promise.all(c.generators.map((g) => g.request<Stats>({ type: 'drain', expected: total, timeoutMs: drainMs })))
  const histogram = stats[0]!.histogram.map((_, i) => stats.reduce((sum, s) => sum + s.histogram[i]!, 0))
  const delivered = stats.reduce((sum, s) => sum + s.received.reduce((a, b) => a + b, 0), 0)
  const lastAt = Math.max(...stats.map((s) => s.lastAt))
  return {
    sent: total,
    delivered,
    expected: c.sizes.reduce((sum, n) => sum + n, 0) * total - total,
    short: stats.reduce((sum, s) => sum + s.received.filter((n, i) => n < total - s.own[i]!).length, 0),
    p50: percentile(histogram, delivered, 0.5),
    p99: percentile(histogram, delivered, 0.99),
    max: percentile(histogram, delivered, 1),
    deliveriesPerSecond: delivered / ((lastAt - firstSent) / 1000),
    frameBytes: Math.max(...stats.map((s) => s.frameBytes)),
    refusals: stats.reduce((sum, s) => sum + s.refusals, 0),
    firstRefusal: stats.find((s) => s.firstRefusal)?.firstRefusal,
    closed: stats.reduce((sum, s) => sum + s.closed, 0),
  }
}

const describe = (r: Run) =>
  `${r.sent} messages, ${r.delivered}/${r.expected} deliveries (${r.short} clients short), p50 ${fmtMs(r.p50)}, p99 ${fmtMs(r.p99)}, max ${fmtMs(r.max)}, ` +
  `${r.deliveriesPerSecond.toFixed(0)} deliveries/s, ${r.frameBytes}-byte frames` +
  (r.refusals ? `, ${r.refusals} refusals (first: ${r.firstRefusal})` : '') +
  (r.closed ? `, ${r.closed} clients closed` : '')

/** Senders as local client indices of each generator: `count` in all from global position `from`, spread evenly. */
function sendersOf(c: Crowd, from: number, count: number): { local: number[]; ids: number[] }[] {
  const per = c.sizes.map((_, p) => Math.floor(count / c.sizes.length) + (p < count % c.sizes.length ? 1 : 0))
  let id = from
  return per.map((n, p) => {
    const start = Math.floor(from / c.sizes.length)
    const local = Array.from({ length: n }, (_, k) => start + k)
    if (local.at(-1)! >= c.sizes[p]!) throw new Error(`not enough clients for ${count} senders from ${from}`)
    return { local, ids: local.map(() => id++) }
  })
}

/** CHAT.senders senders at CHAT.rate messages/s in all, each every senders/rate s (Twitch's 20 per 30 s at the defaults). */
function steadyPlan(c: Crowd, padTo: number): (p: number) => ClientCommand {
  const senders = sendersOf(c, 0, CHAT.senders)
  const periodMs = (CHAT.senders / CHAT.rate) * 1000
  const startAt = performance.timeOrigin + performance.now() + 1000
  return (p) => ({
    type: 'steady',
    senders: senders[p]!.local,
    ids: senders[p]!.ids,
    offsetsMs: senders[p]!.ids.map((id) => (id * periodMs) / CHAT.senders),
    periodMs,
    startAt,
    durationMs: SETTINGS.duration * 1000,
    padTo,
  })
}

function burstPlan(c: Crowd, round: number, padTo: number): (p: number) => ClientCommand {
  // Fresh senders each round, past the steady ones: each has all of its 20 messages per 30 s left.
  const senders = sendersOf(c, CHAT.senders + round * CHAT.burstSenders, CHAT.burstSenders)
  return (p) => ({ type: 'burst', senders: senders[p]!.local, ids: senders[p]!.ids, perSender: PER_SENDER, padTo })
}

// ---------------------------------------------------------------------------------------------
// The app, its users and the baselines

type Setup = { app: OndesApp; redis: PrivateRedis; channel: string; logins: (n: number) => Login[] }

async function setup(): Promise<Setup> {
  const redis = await startPrivateRedis()
  // With Redis, chat joins the users events late and takes in a snapshot of the 10 000 seeded users.
  const app = await startOndesApp({ env: { REDIS_URL: redis.url } }).catch(async (error) => {
    await redis.stop()
    throw error
  })
  const sql = postgres(app.databaseUrl, { max: 1, onnotice: () => {} })
  const users = await sql<{ id: string; login: string }[]>`select id::text, login from users where login like 'user%' order by id`.finally(() => sql.end())
  const [owner, ...viewers] = users
  const token = await benchTokens(app.dataDir)
  const passwords = await Promise.all(viewers.map(async (u) => `oauth:${chatTokenOf(await token(u.id))}`))
  const channel = owner!.login
  // The snapshot reaches chat a moment after /readyz: wait until the channel can be joined.
  const deadline = performance.now() + 120_000
  for (;;) {
    const probe = await crowd('chat-probe', 'irc', [wsUrl(app.url)], [{ nick: viewers[0]!.login, password: passwords[0] }], channel, 1).catch((error: Error) => error)
    if (!(probe instanceof Error)) {
      probe.stop()
      break
    }
    if (performance.now() > deadline) throw probe
    await Bun.sleep(1000)
  }
  await quiet(app.child.proc.pid)
  return {
    app,
    redis,
    channel,
    // Logins cycle through the seeded users: more connections than users are a user's several connections.
    logins: (n) => Array.from({ length: n }, (_, i) => ({ nick: viewers[i % viewers.length]!.login, password: passwords[i % viewers.length] })),
  }
}

/**
 * Waits until `pid` has used under 5 % of a core for two seconds running (at most two minutes):
 * every module of a fresh app takes in the 10 000 seeded users as a snapshot from Redis, tens of
 * seconds of inbox inserts that would otherwise share the process with the chat being measured.
 */
async function quiet(pid: number): Promise<void> {
  const deadline = performance.now() + 120_000
  let calm = 0
  while (calm < 4 && performance.now() < deadline) {
    const before = cpuSeconds(pid)
    await Bun.sleep(500)
    calm = cpuSeconds(pid) - before < 0.025 ? calm + 1 : 0
  }
  log(`app ${pid} ${calm >= 4 ? 'quiet' : 'still busy after 2 minutes'}`)
}

const wsUrl = (url: string) => `${url.replace(/^http/, 'ws')}/`

/** The Socket.IO baseline, on `node` (v20 here) as Socket.IO servers run. */
async function startSocketIo(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = freePort()
  const logPath = resolve(LOG_DIR, 'baseline-socketio.log')
  const proc = Bun.spawn(['node', 'bench/servers/chat-room-socketio.mjs'], {
    cwd: ROOT,
    env: { ...cleanEnv(), PORT: String(port), HOST: '127.0.0.1' },
    stdout: Bun.file(logPath),
    stderr: Bun.file(logPath),
  })
  const url = `http://127.0.0.1:${port}`
  await waitFor(url, { timeoutMs: 30_000 }).catch((error) => {
    proc.kill('SIGKILL')
    throw new Error(`${error}\n${readFileSync(logPath, 'utf8')}`)
  })
  return {
    url,
    stop: async () => {
      proc.kill('SIGTERM')
      await proc.exited
    },
  }
}

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024

// ---------------------------------------------------------------------------------------------
// The figures

/** C1 and C2 on one crowd of CHAT.clients IRC clients. */
async function single(s: Setup, figures: Figure[]): Promise<{ rows: Row[]; steady?: Run }> {
  const rows: Row[] = []
  const ondes = await crowd('chat-clients', 'irc', [wsUrl(s.app.url)], s.logins(CHAT.clients), s.channel)
  let steady: Run | undefined
  let frameBytes = 0
  try {
    if (figures.includes('steady')) {
      log(`chat steady: ${CHAT.senders} senders, ${CHAT.rate} messages/s, ${SETTINGS.duration} s, ${CHAT.clients} clients`)
      steady = await measure(ondes, steadyPlan(ondes, CHAT.textLength))
      frameBytes = steady.frameBytes
      log(`chat steady, Ondes: ${describe(steady)}`)
    }
    if (figures.includes('peak')) {
      const rounds: { ondes: Run; bun: Run; sio: Run; ratio: number }[] = []
      const raw = await startServer('baseline-raw-pubsub', ['bench/servers/chat-room-pubsub.ts'], cleanEnv())
      const sio = await startSocketIo()
      const rawCrowd = await crowd('raw-clients', 'raw', [wsUrl(raw.url)], s.logins(CHAT.clients), s.channel)
      const sioCrowd = await crowd('socketio-clients', 'sio', [sio.url], s.logins(CHAT.clients), s.channel)
      try {
        if (steady === undefined) {
          // A frame's size is learned from one Ondes message first.
          frameBytes = (await measure(ondes, burstPlan(ondes, SETTINGS.rounds, CHAT.textLength))).frameBytes
        }
        for (let round = 0; round < SETTINGS.rounds; round++) {
          const b = await measure(rawCrowd, burstPlan(rawCrowd, round, frameBytes))
          const o = await measure(ondes, burstPlan(ondes, round, CHAT.textLength))
          const io = await measure(sioCrowd, burstPlan(sioCrowd, round, frameBytes))
          rounds.push({ ondes: o, bun: b, sio: io, ratio: o.deliveriesPerSecond / b.deliveriesPerSecond })
          log(`chat peak round ${round + 1}: Ondes ${describe(o)}\n  Bun pub/sub ${describe(b)}\n  Socket.IO ${describe(io)}`)
        }
      } finally {
        rawCrowd.stop()
        sioCrowd.stop()
        await raw.child.stop()
        await sio.stop()
      }
      const m = medianRound(rounds)
      const rates = (f: (r: (typeof rounds)[number]) => Run) => rounds.map((r) => f(r).deliveriesPerSecond.toFixed(0)).join(' / ')
      const notes = [
        `rounds, deliveries/s: Ondes ${rates((r) => r.ondes)}; Bun pub/sub ${rates((r) => r.bun)}; Socket.IO ${rates((r) => r.sio)}`,
        `each round: ${CHAT.burstSenders} fresh senders × ${PER_SENDER} messages at once to ${CHAT.clients} clients; frames ${m.ondes.frameBytes} bytes (Ondes) / ${m.bun.frameBytes} (Bun, padded)`,
        `median round, Ondes: ${describe(m.ondes)}`,
      ]
      rows.push({
        figure: `C2. chat peak fan-out to ${CHAT.clients} clients vs bare Bun pub/sub`,
        ondes: `${m.ondes.deliveriesPerSecond.toFixed(0)} deliveries/s`,
        baseline: `${m.bun.deliveriesPerSecond.toFixed(0)} deliveries/s (bare Bun.serve, ws.publish, same frame size)`,
        ratio: pct(m.ratio),
        target: `≥ ${(TARGETS.vsBun * 100).toFixed(0)} %`,
        met: m.ratio >= TARGETS.vsBun && m.ondes.short === 0,
        notes,
      })
      const vsIo = m.ondes.deliveriesPerSecond / m.sio.deliveriesPerSecond
      rows.push({
        figure: 'C2′. chat peak fan-out vs Socket.IO 4 broadcast on Node',
        ondes: `${m.ondes.deliveriesPerSecond.toFixed(0)} deliveries/s`,
        baseline: `${m.sio.deliveriesPerSecond.toFixed(0)} deliveries/s (socket.io 4.8.1 on node ${nodeVersion()}, socket.broadcast.emit)`,
        ratio: `${vsIo.toFixed(2)} ×`,
        target: `≥ ${TARGETS.vsSocketIo} ×`,
        met: vsIo >= TARGETS.vsSocketIo && m.ondes.short === 0,
        notes: [`median round, Socket.IO: ${describe(m.sio)}`],
      })
    }
  } finally {
    ondes.stop()
  }
  if (steady) rows.unshift(await steadyRow(s, steady, frameBytes))
  return { rows, steady }
}

/** The steady load on bare Bun pub/sub, the baseline of C1. */
async function steadyBaseline(s: Setup, frameBytes: number): Promise<Run> {
  const raw = await startServer('baseline-raw-pubsub-steady', ['bench/servers/chat-room-pubsub.ts'], cleanEnv())
  const rawCrowd = await crowd('raw-clients-steady', 'raw', [wsUrl(raw.url)], s.logins(CHAT.clients), s.channel)
  try {
    const run = await measure(rawCrowd, steadyPlan(rawCrowd, frameBytes))
    log(`chat steady, Bun pub/sub: ${describe(run)}`)
    return run
  } finally {
    rawCrowd.stop()
    await raw.child.stop()
  }
}

let baselineRun: Run | undefined
async function steadyRow(s: Setup, run: Run, frameBytes: number): Promise<Row> {
  baselineRun ??= await steadyBaseline(s, frameBytes)
  return {
    figure: `C1. chat p99 send → receive, ${CHAT.clients} clients, ${CHAT.senders} senders, ${CHAT.rate} msg/s`,
    ondes: `p99 ${fmtMs(run.p99)}`,
    baseline: `p99 ${fmtMs(baselineRun.p99)} (bare Bun pub/sub, same load)`,
    ratio: `${(run.p99 / baselineRun.p99).toFixed(1)} ×`,
    target: `≤ ${TARGETS.p99Ms} ms, every message to every client`,
    met: run.p99 <= TARGETS.p99Ms && run.short === 0 && run.refusals === 0,
    notes: [`Ondes: ${describe(run)}`, `Bun pub/sub: ${describe(baselineRun)}`],
  }
}

/** C1′: C1's load on `bun src/main.ts` serving chat alone (split mode) on the same chat database and Redis. */
async function split(s: Setup, single: Run | undefined): Promise<Row> {
  const alone = await startServer(
    'ondes-chat-alone',
    ['src/main.ts'],
    cleanEnv({ MODULES: 'chat', [databaseUrlVariable('chat')]: s.app.databaseUrls.chat, DATA_DIR: s.app.dataDir, REDIS_URL: s.redis.url, LOG_LEVEL: 'warn' }),
    '/readyz',
  )
  try {
    await quiet(alone.child.proc.pid)
    const c = await crowd('chat-clients-alone', 'irc', [wsUrl(alone.url)], s.logins(CHAT.clients), s.channel)
    try {
      const plan = steadyPlan(c, CHAT.textLength)
      const run = await measure(c, (p) => ({ ...(plan(p) as Extract<ClientCommand, { type: 'steady' }>), ...shift(c, p, 2) }))
      log(`chat steady, chat alone: ${describe(run)}`)
      return {
        figure: "C1′. C1's load on a chat-only process (MODULES=chat)",
        ondes: `p99 ${fmtMs(run.p99)} (p50 ${fmtMs(run.p50)})`,
        baseline: single ? `p99 ${fmtMs(single.p99)} (p50 ${fmtMs(single.p50)}), the whole app, this run` : '(C1 not run)',
        ratio: single ? `${(run.p99 / single.p99).toFixed(2)} ×` : '',
        target: '(info)',
        met: run.short === 0 && run.refusals === 0,
        notes: [`chat alone: ${describe(run)}`],
      }
    } finally {
      c.stop()
    }
  } finally {
    await alone.child.stop()
  }
}

/** C3: the same load with half the clients on a second replica (another `bun src/main.ts`, same databases and Redis). */
async function replicas(s: Setup, single: Run | undefined): Promise<Row> {
  const second = await s.app.spawn('ondes-app-2')
  try {
    await quiet(second.child.proc.pid)
    const c = await crowd('chat-clients-replicas', 'irc', [wsUrl(s.app.url), wsUrl(second.url)], s.logins(CHAT.clients), s.channel)
    try {
      log(`chat replicas: ${CHAT.senders} senders, ${CHAT.rate} messages/s across two replicas`)
      // Senders past those of the one-replica run, so none is over Twitch's limit from it.
      const plan = steadyPlan(c, CHAT.textLength)
      const run = await measure(c, (p) => ({ ...(plan(p) as Extract<ClientCommand, { type: 'steady' }>), ...shift(c, p) }))
      log(`chat replicas, Ondes: ${describe(run)}`)
      return {
        figure: `C3. chat p99 across two replicas through Redis, same load`,
        ondes: `p99 ${fmtMs(run.p99)}`,
        baseline: single ? `p99 ${fmtMs(single.p99)} (one replica, this run)` : '(one replica not run)',
        ratio: single ? `${(run.p99 / single.p99).toFixed(1)} ×` : '',
        target: `≤ ${TARGETS.replicasP99Ms} ms, every message to every client`,
        met: run.p99 <= TARGETS.replicasP99Ms && run.short === 0 && run.refusals === 0,
        notes: [`two replicas: ${describe(run)}`],
      }
    } finally {
      c.stop()
    }
  } finally {
    await second.child.stop()
  }
}

/** Sender positions moved past the single-replica and burst senders. */
function shift(c: Crowd, p: number, times = 1): { senders: number[]; ids: number[] } {
  const from = times * CHAT.senders + (SETTINGS.rounds + 1) * CHAT.burstSenders
  const senders = sendersOf(c, from, CHAT.senders)[p]!
  return { senders: senders.local, ids: senders.ids.map((id) => id - from) }
}

/** C4: RSS of a fresh chat process (another `bun src/main.ts`) holding CHAT.idle joined, authenticated connections. */
async function idle(s: Setup): Promise<Row> {
  const processes = Math.max(2, Math.ceil(CHAT.idle / 2500))
  const fresh = await s.app.spawn('ondes-app-idle')
  let ondesMb: number
  let ondesBefore: number
  try {
    await quiet(fresh.child.proc.pid)
    ondesBefore = rssMb(fresh.child.proc.pid)
    const c = await crowd('chat-idle', 'irc', [wsUrl(fresh.url)], s.logins(CHAT.idle), s.channel, processes)
    await Bun.sleep(2000)
    ondesMb = rssMb(fresh.child.proc.pid)
    c.stop()
  } finally {
    await fresh.child.stop()
  }
  const raw = await startServer('baseline-raw-pubsub-idle', ['bench/servers/chat-room-pubsub.ts'], cleanEnv())
  let rawMb: number
  let rawBefore: number
  try {
    rawBefore = rssMb(raw.child.proc.pid)
    const c = await crowd('raw-idle', 'raw', [wsUrl(raw.url)], s.logins(CHAT.idle), s.channel, processes)
    await Bun.sleep(2000)
    rawMb = rssMb(raw.child.proc.pid)
    c.stop()
  } finally {
    await raw.child.stop()
  }
  return {
    figure: `C4. RSS of the chat process, ${CHAT.idle} idle authenticated connections in the channel`,
    ondes: `${ondesMb.toFixed(0)} MB`,
    baseline: `${rawMb.toFixed(0)} MB (bare Bun.serve, as many subscribed WebSockets)`,
    ratio: `${(ondesMb / rawMb).toFixed(1)} ×`,
    target: `≤ ${TARGETS.idleMb} MB`,
    met: ondesMb <= TARGETS.idleMb,
    notes: [
      `before the connections: Ondes ${ondesBefore.toFixed(0)} MB (the whole app, every module), bare Bun ${rawBefore.toFixed(0)} MB; ` +
        `per connection: Ondes ${(((ondesMb - ondesBefore) * 1024) / CHAT.idle).toFixed(1)} KB, bare Bun ${(((rawMb - rawBefore) * 1024) / CHAT.idle).toFixed(1)} KB`,
    ],
  }
}

function nodeVersion(): string {
  return Bun.spawnSync(['node', '--version']).stdout.toString().trim()
}

/** Every chat figure asked for (all by default), on one app and redis-server of their own. */
export async function chatRoom(figures: readonly Figure[] = FIGURES): Promise<Row[]> {
  const s = await setup()
  try {
    const rows: Row[] = []
    let steady: Run | undefined
    if (figures.includes('steady') || figures.includes('peak')) {
      const result = await single(s, [...figures])
      rows.push(...result.rows)
      steady = result.steady
    }
    if (figures.includes('split')) rows.push(await split(s, steady))
    if (figures.includes('replicas')) rows.push(await replicas(s, steady))
    if (figures.includes('idle')) rows.push(await idle(s))
    return rows
  } finally {
    for (const g of generators) g.proc.kill('SIGKILL')
    await s.app.stop()
    await s.redis.stop()
  }
}

if (import.meta.main) {
  const wanted = process.argv.slice(2)
  const unknown = wanted.filter((w) => !(FIGURES as readonly string[]).includes(w))
  if (unknown.length) {
    console.error(`unknown chat figure(s): ${unknown.join(', ')}; choose from ${FIGURES.join(', ')}`)
    process.exit(2)
  }
  report(await chatRoom(wanted.length ? (wanted as Figure[]) : FIGURES))
}
