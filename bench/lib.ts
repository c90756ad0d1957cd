/**
 * Shared pieces of the benchmarks: free loopback ports, server child processes, wrk, a
 * scratch database seeded from the users module's migrated template, and the result table.
 *
 * Nothing here is part of `bun test`; run `bun bench/run.ts` (or one `bench/<figure>.ts`).
 */
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { resolve } from 'node:path'
import postgres from 'postgres'
import { freePort } from '../src/platform/testing/processes.ts'

export const ROOT = resolve(import.meta.dir, '..')
export const BENCH = import.meta.dir

/** Superuser URL of the Postgres the benches create their databases on (this machine's, by default). */
export const ADMIN_URL =
  process.env.BENCH_ADMIN_URL ?? process.env.ONDES_TEST_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
// src/platform/testing/databases.ts reads this to find the server for its templates.
process.env.ONDES_TEST_ADMIN_URL ??= ADMIN_URL

/** Tunables, all from the environment so a quick run is one variable away. */
export const SETTINGS = {
  connections: Number(process.env.BENCH_CONNECTIONS ?? 50),
  threads: Number(process.env.BENCH_THREADS ?? 2),
  duration: Number(process.env.BENCH_DURATION ?? 10),
  warmup: Number(process.env.BENCH_WARMUP ?? 3),
  /** Rounds of (baseline, Ondes); the round with the median ratio is reported. */
  rounds: Number(process.env.BENCH_ROUNDS ?? 3),
  /** Database pool size of the Ondes app and of the baseline, the same for both. */
  poolMax: Number(process.env.BENCH_POOL_MAX ?? 10),
}

/** Log files of the child processes of this run. */
export const LOG_DIR = mkdtempSync(resolve(tmpdir(), 'ondes-bench-logs-'))

export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`)
}

// The tests' free-port pick: below the ephemeral range, so no outgoing connection takes it first.
export { freePort }

// ---------------------------------------------------------------------------------------------
// Child processes

export type Child = {
  name: string
  proc: Bun.Subprocess
  logPath: string
  stop: () => Promise<number | null>
}

const children = new Set<Child>()

/** Children are stopped however the run ends (Ctrl+C included). */
function killAllSync(): void {
  for (const child of children) {
    try {
      child.proc.kill('SIGKILL')
    } catch {}
  }
}
process.on('exit', killAllSync)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAllSync()
    process.exit(130)
  })
}

/** Starts `bun <args>` with its output in a log file under LOG_DIR. */
export function spawnBun(name: string, args: string[], env: Record<string, string | undefined>): Child {
  const logPath = resolve(LOG_DIR, `${name}.log`)
  const fd = openSync(logPath, 'a')
  const defined = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined))
  const proc = Bun.spawn([process.execPath, ...args], {
    cwd: ROOT,
    env: defined,
    stdin: 'ignore',
    stdout: fd,
    stderr: fd,
  })
  closeSync(fd)
  const child: Child = {
    name,
    proc,
    logPath,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM')
        const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(15_000).then(() => false)])
        if (!exited) {
          log(`${name} did not stop on SIGTERM within 15 s; killing it`)
          proc.kill('SIGKILL')
          await proc.exited
        }
      }
      children.delete(child)
      return proc.exitCode
    },
  }
  children.add(child)
  return child
}

export function tail(path: string, lines = 20): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}

/** Waits for a child that prints its result as one JSON line last, and returns that result. */
export async function finished<T>(child: Child, timeoutMs: number): Promise<T> {
  const exited = await Promise.race([child.proc.exited.then(() => true), Bun.sleep(timeoutMs).then(() => false)])
  await child.stop()
  if (!exited || child.proc.exitCode !== 0) {
    throw new Error(`${child.name} ${exited ? `exited with ${child.proc.exitCode}` : 'ran too long'}:\n${tail(child.logPath)}`)
  }
  return JSON.parse(tail(child.logPath, 1)) as T
}

/** Polls `url` until it answers `status`; returns the milliseconds since `since`. */
export async function waitFor(
  url: string,
  options: { child?: Child; timeoutMs?: number; status?: number; intervalMs?: number; since?: number } = {},
): Promise<number> {
  const since = options.since ?? performance.now()
  const deadline = since + (options.timeoutMs ?? 60_000)
  const want = options.status ?? 200
  while (performance.now() < deadline) {
    if (options.child && options.child.proc.exitCode !== null) {
      throw new Error(`${options.child.name} exited (${options.child.proc.exitCode}) before ${url} answered:\n${tail(options.child.logPath)}`)
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) })
      await response.arrayBuffer()
      if (response.status === want) return performance.now() - since
    } catch {}
    await Bun.sleep(options.intervalMs ?? 20)
  }
  throw new Error(`${url} did not answer ${want} in time${options.child ? `:\n${tail(options.child.logPath)}` : ''}`)
}

/** A server child listening on a free loopback port, ready once `readyPath` answers 200. */
export async function startServer(
  name: string,
  args: string[],
  env: Record<string, string | undefined>,
  readyPath = '/',
): Promise<{ url: string; child: Child }> {
  const port = freePort()
  const child = spawnBun(name, args, { ...env, PORT: String(port), HOST: '127.0.0.1' })
  const url = `http://127.0.0.1:${port}`
  await waitFor(`${url}${readyPath}`, { child, timeoutMs: 120_000 })
  return { url, child }
}

/** The environment without any `*_DATABASE_URL`, so children see only what a bench gives them. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.endsWith('_DATABASE_URL') && !key.startsWith('BENCH_') && key !== 'MODULES' && key !== 'PORT') env[key] = value
  }
  return { ...env, ...extra }
}

// ---------------------------------------------------------------------------------------------
// wrk

export type WrkResult = {
  rps: number
  requests: number
  non2xx: number
  socketErrors: number
  p50ms: number | undefined
  p99ms: number | undefined
  raw: string
}

function ms(value: string | undefined): number | undefined {
  const match = value?.match(/^([\d.]+)(us|ms|s|m)$/)
  if (!match) return undefined
  const n = Number(match[1])
  return { us: n / 1000, ms: n, s: n * 1000, m: n * 60_000 }[match[2] as 'us' | 'ms' | 's' | 'm']
}

export function parseWrk(out: string): WrkResult {
  const rps = Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1])
  if (!Number.isFinite(rps)) throw new Error(`could not read wrk's output:\n${out}`)
  const socket = out.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/)
  return {
    rps,
    requests: Number(out.match(/(\d+) requests in/)?.[1] ?? 0),
    non2xx: Number(out.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0),
    socketErrors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
    p50ms: ms(out.match(/^\s+50%\s+(\S+)/m)?.[1]),
    p99ms: ms(out.match(/^\s+99%\s+(\S+)/m)?.[1]),
    raw: out,
  }
}

let wrkChecked = false
function checkWrk(): void {
  if (wrkChecked) return
  if (!Bun.which('wrk')) {
    throw new Error('wrk is not installed: `apt-get update && apt-get install -y wrk` (Debian package), then run again')
  }
  wrkChecked = true
}

/** Runs wrk against `url`; refuses a run with errors, whose rate would mean nothing. */
export async function wrk(
  url: string,
  options: { seconds?: number; script?: string; connections?: number; timeoutSeconds?: number; allowErrors?: boolean } = {},
): Promise<WrkResult> {
  checkWrk()
  const args = [
    'wrk',
    `-t${Math.min(SETTINGS.threads, options.connections ?? SETTINGS.connections)}`,
    `-c${options.connections ?? SETTINGS.connections}`,
    `-d${options.seconds ?? SETTINGS.duration}s`,
    `--timeout`,
    `${options.timeoutSeconds ?? 10}s`,
    '--latency',
    ...(options.script ? ['-s', resolve(BENCH, 'wrk', options.script)] : []),
    url,
  ]
  // The environment as it is now: the wrk scripts read what a figure set in it (seed sizes, files).
  const proc = Bun.spawn(args, { stdout: 'pipe', stderr: 'pipe', env: { ...process.env } })
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()])
  await proc.exited
  if (proc.exitCode !== 0) throw new Error(`wrk failed (${proc.exitCode}): ${err}\n${out}`)
  const result = parseWrk(out)
  if (!options.allowErrors && (result.non2xx > 0 || result.socketErrors > 0)) {
    throw new Error(`wrk saw ${result.non2xx} non-2xx responses and ${result.socketErrors} socket errors on ${url}:\n${out}`)
  }
  return result
}

/**
 * CPU seconds `pid` has used (user + system, from /proc): divided by the requests of a run, a
 * per-request cost that neighbours' load on the shared cores skews far less than a rate.
 */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // utime and stime, fields 14 and 15 of proc(5), in clock ticks (100 a second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** `pid`: the server's process, whose CPU per request is then reported beside its rate. */
export type Side = { label: string; url: string; script?: string; pid?: number }
export type Measured = WrkResult & { cpuUsPerRequest?: number }
export type Round = { ondes: Measured; baseline: Measured; ratio: number }
export type Comparison = { ondes: Measured; baseline: Measured; ratio: number; rounds: Round[] }

/** One wrk run against `side`, with the server's CPU per request when its pid is known. */
async function measure(side: Side, options: { timeoutSeconds?: number }): Promise<Measured> {
  const before = side.pid ? cpuSeconds(side.pid) : 0
  const result = await wrk(side.url, { ...options, script: side.script })
  if (!side.pid || result.requests === 0) return result
  return { ...result, cpuUsPerRequest: ((cpuSeconds(side.pid) - before) * 1e6) / result.requests }
}

const cpu = (m: Measured) => (m.cpuUsPerRequest === undefined ? '' : `, ${m.cpuUsPerRequest.toFixed(0)} µs CPU/req`)

/** The round whose Ondes/baseline ratio is the median: its two rates were measured side by side. */
export function medianRound<R extends { ratio: number }>(rounds: R[]): R {
  const sorted = [...rounds].sort((a, b) => a.ratio - b.ratio)
  return sorted[Math.floor((sorted.length - 1) / 2)]!
}

/**
 * Warms both sides up, then measures them back to back for SETTINGS.rounds rounds (baseline,
 * then Ondes) and reports the round with the median ratio: a neighbour's burst of CPU hits
 * one round, rarely the median one, and each round's two rates are seconds apart.
 */
export async function compare(ondes: Side, baseline: Side, options: { timeoutSeconds?: number } = {}): Promise<Comparison> {
  const opts = { timeoutSeconds: options.timeoutSeconds }
  for (const side of [baseline, ondes]) {
    log(`warm-up ${side.label} (${SETTINGS.warmup} s)`)
    await wrk(side.url, { ...opts, script: side.script, seconds: SETTINGS.warmup })
  }
  const rounds: Round[] = []
  for (let round = 1; round <= SETTINGS.rounds; round++) {
    const b = await measure(baseline, opts)
    const o = await measure(ondes, opts)
    rounds.push({ ondes: o, baseline: b, ratio: o.rps / b.rps })
    log(
      `round ${round}: ${ondes.label} ${o.rps.toFixed(0)} req/s (p50 ${fmtMs(o.p50ms)}, p99 ${fmtMs(o.p99ms)}${cpu(o)}) / ` +
        `${baseline.label} ${b.rps.toFixed(0)} req/s (p50 ${fmtMs(b.p50ms)}, p99 ${fmtMs(b.p99ms)}${cpu(b)}) = ${pct(o.rps / b.rps)}`,
    )
  }
  const median = medianRound(rounds)
  return { ...median, rounds }
}

export type Started = { url: string; child: Child }
export type FreshSide = { label: string; start: () => Promise<Started>; path: string; script?: string }

/**
 * Like `compare`, but with both servers started afresh for each round (warm-up included) and
 * stopped after it, so no side carries state from earlier rounds. postgres.js 3.4.9 slows down
 * with every query a saturated pool has pipelined (see README), so a long-lived process would
 * measure its own history rather than the code.
 */
export async function compareFresh(ondes: FreshSide, baseline: FreshSide): Promise<Comparison> {
  const rounds: Round[] = []
  for (let round = 1; round <= SETTINGS.rounds; round++) {
    const b = await baseline.start()
    const o = await ondes.start().catch(async (error) => {
      await b.child.stop()
      throw error
    })
    try {
      await wrk(`${b.url}${baseline.path}`, { script: baseline.script, seconds: SETTINGS.warmup })
      await wrk(`${o.url}${ondes.path}`, { script: ondes.script, seconds: SETTINGS.warmup })
      const rb = await wrk(`${b.url}${baseline.path}`, { script: baseline.script })
      const ro = await wrk(`${o.url}${ondes.path}`, { script: ondes.script })
      rounds.push({ ondes: ro, baseline: rb, ratio: ro.rps / rb.rps })
      log(
        `round ${round} (fresh processes): ${ondes.label} ${ro.rps.toFixed(0)} req/s (p50 ${fmtMs(ro.p50ms)}, p99 ${fmtMs(ro.p99ms)}) / ` +
          `${baseline.label} ${rb.rps.toFixed(0)} req/s (p50 ${fmtMs(rb.p50ms)}, p99 ${fmtMs(rb.p99ms)}) = ${pct(ro.rps / rb.rps)}`,
      )
    } finally {
      await o.child.stop()
      await b.child.stop()
    }
  }
  return { ...medianRound(rounds), rounds }
}

export const fmtMs = (value: number | undefined) =>
  value === undefined ? '?' : value < 1 ? `${(value * 1000).toFixed(0)} µs` : `${value.toFixed(value < 10 ? 2 : 0)} ms`

// ---------------------------------------------------------------------------------------------
// Database

export type ScratchDatabase = { url: string; name: string; drop: () => Promise<void> }

/** A fresh database cloned from the users module's migrated template (the test harness's). */
export async function usersDatabase(): Promise<ScratchDatabase> {
  const { createDatabaseFromTemplate } = await import('../src/platform/testing/databases.ts')
  const { users } = await import('../src/modules/users/index.ts')
  return createDatabaseFromTemplate('users', users.migrations)
}

/** A fresh database for each other module of the build: the monolith runs them all, as `bun start` does. */
export async function otherModuleDatabases(): Promise<{ env: Record<string, string>; urls: Record<string, string>; drop: () => Promise<void> }> {
  const { buildDatabases } = await import('../test/build-databases.ts')
  return buildDatabases({ except: ['users'] })
}

export const SEED_USERS = 10_000
export const LOGIN = { login: 'benchlogin', password: 'correct horse battery staple' }

/**
 * 10k users straight in SQL (every 10th a partner, so the partner sub-query finds rows), and
 * one account with a real argon2id hash at Bun's defaults for the login bench.
 */
export async function seedUsers(url: string): Promise<{ loginHash: string }> {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  try {
    const loginHash = await Bun.password.hash(LOGIN.password, { algorithm: 'argon2id' })
    await sql`
      insert into users (login, display_name, email, password_hash, description)
      select 'user' || lpad(i::text, 6, '0'), 'User ' || i, 'user' || i || '@example.com',
             'not-a-hash', 'Seeded by bench/ for GET /api/users/{id}'
      from generate_series(1, ${SEED_USERS}) as i`
    await sql`insert into user_roles (user_id, role) select id, 'partner' from users where id % 10 = 0`
    await sql`insert into users (login, display_name, email, password_hash)
              values (${LOGIN.login}, 'Bench Login', 'bench@example.com', ${loginHash})`
    // As autovacuum would have by now: the visibility map lets the partner check stay index-only.
    await sql`vacuum analyze`
    return { loginHash }
  } finally {
    await sql.end()
  }
}

// ---------------------------------------------------------------------------------------------
// Results

export type Row = {
  figure: string
  ondes: string
  baseline: string
  ratio: string
  target: string
  met: boolean
  notes: string[]
}

export const pct = (x: number) => `${(x * 100).toFixed(1)} %`
export const rate = (r: WrkResult | number) => {
  const value = typeof r === 'number' ? r : r.rps
  return `${value.toFixed(value >= 100 ? 0 : 1)} req/s`
}

export function throughputRow(figure: string, c: Comparison, target: number, baselineName: string): Row {
  return {
    figure,
    ondes: rate(c.ondes),
    baseline: `${rate(c.baseline)} (${baselineName})`,
    ratio: pct(c.ratio),
    target: `≥ ${(target * 100).toFixed(0)} %`,
    met: c.ratio >= target,
    notes: [
      `rounds (Ondes / baseline = ratio): ${c.rounds.map((r) => `${r.ondes.rps.toFixed(0)} / ${r.baseline.rps.toFixed(0)} = ${pct(r.ratio)}`).join('; ')}`,
      `median round latency: Ondes p50 ${fmtMs(c.ondes.p50ms)}, p99 ${fmtMs(c.ondes.p99ms)}; baseline p50 ${fmtMs(c.baseline.p50ms)}, p99 ${fmtMs(c.baseline.p99ms)}`,
      ...(c.ondes.cpuUsPerRequest !== undefined && c.baseline.cpuUsPerRequest !== undefined
        ? [`server CPU per request, median round: Ondes ${c.ondes.cpuUsPerRequest.toFixed(0)} µs, baseline ${c.baseline.cpuUsPerRequest.toFixed(0)} µs`]
        : []),
    ],
  }
}

export function table(rows: Row[]): string {
  const lines = [
    '| figure | Ondes | baseline | ratio | target | met? |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.figure} | ${r.ondes} | ${r.baseline} | ${r.ratio} | ${r.target} | ${r.met ? 'yes' : '**no**'} |`),
  ]
  return lines.join('\n')
}

export function describeRun(): string {
  return [
    `${navigator.hardwareConcurrency} cores; wrk -t${SETTINGS.threads} -c${SETTINGS.connections}, ${SETTINGS.warmup} s warm-up, ` +
      `${SETTINGS.rounds} rounds of ${SETTINGS.duration} s per side (baseline then Ondes; the median-ratio round is shown); Bun ${Bun.version}; DB pool ${SETTINGS.poolMax} on both sides.`,
    'Server, wrk and Postgres share the same cores: the load generator takes CPU from the server under test, ' +
      'so the absolute rates are lower than on separate machines; compare the ratios, not the numbers.',
    `Load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (other work on this machine skews both sides; rerun if it was high).`,
    `Child process logs: ${LOG_DIR}`,
  ].join('\n')
}

/** Prints the rows as a table (stdout) and their details; for a single-figure script. */
export function report(rows: Row[]): void {
  console.log(`\n${table(rows)}\n`)
  for (const row of rows) for (const note of row.notes) console.log(`- ${row.figure}: ${note}`)
  console.log(`\n${describeRun()}`)
}
