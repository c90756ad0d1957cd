/**
 * Figure 3: POST /api/auth/login (rate limiter, zod body, credentials query, argon2id verify,
 * roles query, session insert, EdDSA token) against the raw rate of `Bun.password.verify` on
 * the same hash (argon2id at Bun's defaults) with as many verifications in flight as wrk has
 * connections. Both are measured in this run, alternately.
 */
import { startOndesApp, type OndesApp } from './fixture.ts'
import {
  cleanEnv,
  fmtMs,
  log,
  LOGIN,
  medianRound,
  pct,
  rate,
  report,
  SETTINGS,
  spawnBun,
  tail,
  wrk,
  type Row,
  type WrkResult,
} from './lib.ts'

export const TARGET = 0.9

type VerifyResult = { rate: number; completed: number; p50ms: number; p99ms: number }

async function rawVerify(hash: string, warmup: number, seconds: number): Promise<VerifyResult> {
  const child = spawnBun(
    'baseline-verify',
    ['bench/servers/verify.ts'],
    cleanEnv({
      BENCH_HASH: hash,
      BENCH_PASSWORD: LOGIN.password,
      BENCH_CONCURRENCY: String(SETTINGS.connections),
      BENCH_SECONDS: String(seconds),
      BENCH_WARMUP: String(warmup),
    }),
  )
  await child.proc.exited
  await child.stop()
  const line = tail(child.logPath, 1)
  if (child.proc.exitCode !== 0) throw new Error(`raw verify failed:\n${tail(child.logPath)}`)
  return JSON.parse(line) as VerifyResult
}

/**
 * wrk stops with 50 logins still queued in the server (argon2 runs on a small thread pool);
 * one more login, queued behind them, returns once they are done, so the next run starts clean.
 */
async function drain(url: string): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(LOGIN),
  })
  await response.arrayBuffer()
  if (response.status !== 200) throw new Error(`login answered ${response.status} while draining`)
}

/** Logins run at tens per second with seconds of latency; a longer window counts enough of them. */
const LOGIN_SECONDS = Number(process.env.BENCH_LOGIN_DURATION ?? Math.max(SETTINGS.duration, 20))

export async function login(app: OndesApp): Promise<Row> {
  process.env.BENCH_LOGIN = LOGIN.login
  process.env.BENCH_PASSWORD = LOGIN.password
  log('figure 3: POST /api/auth/login vs raw Bun.password.verify')
  const loginUrl = `${app.url}/api/auth/login`
  // 50 logins in flight at tens per second: each waits seconds, so wrk's timeout is raised.
  const opts = { script: 'login.lua', timeoutSeconds: 60 }
  log(`warm-up Ondes login (${SETTINGS.warmup} s)`)
  await wrk(loginUrl, { ...opts, seconds: SETTINGS.warmup })
  await drain(loginUrl)
  const rounds: { ondes: WrkResult; raw: VerifyResult; ratio: number }[] = []
  for (let round = 1; round <= SETTINGS.rounds; round++) {
    const raw = await rawVerify(app.loginHash, round === 1 ? SETTINGS.warmup : 1, LOGIN_SECONDS)
    const ondes = await wrk(loginUrl, { ...opts, seconds: LOGIN_SECONDS })
    await drain(loginUrl)
    rounds.push({ ondes, raw, ratio: ondes.rps / raw.rate })
    log(
      `round ${round}: Ondes login ${ondes.rps.toFixed(1)} req/s (p50 ${fmtMs(ondes.p50ms)}, p99 ${fmtMs(ondes.p99ms)}) / ` +
        `raw verify ${raw.rate.toFixed(1)}/s (p50 ${fmtMs(raw.p50ms)}, p99 ${fmtMs(raw.p99ms)}) = ${pct(ondes.rps / raw.rate)}`,
    )
  }
  const median = medianRound(rounds)
  return {
    figure: '3. POST /api/auth/login',
    ondes: rate(median.ondes),
    baseline: `${median.raw.rate.toFixed(1)} verify/s (raw Bun.password.verify, argon2id defaults, ${SETTINGS.connections} in flight)`,
    ratio: pct(median.ratio),
    target: `≥ ${(TARGET * 100).toFixed(0)} %`,
    met: median.ratio >= TARGET,
    notes: [
      `rounds (Ondes / raw = ratio): ${rounds.map((r) => `${r.ondes.rps.toFixed(1)} / ${r.raw.rate.toFixed(1)} = ${pct(r.ratio)}`).join('; ')}`,
      `median round latency: Ondes p50 ${fmtMs(median.ondes.p50ms)}, p99 ${fmtMs(median.ondes.p99ms)}; raw verify p50 ${fmtMs(median.raw.p50ms)}, p99 ${fmtMs(median.raw.p99ms)}`,
    ],
  }
}

if (import.meta.main) {
  const app = await startOndesApp()
  try {
    report([await login(app)])
  } finally {
    await app.stop()
  }
}
