/**
 * Figure "gateway" (issue 3, Speed): GET /api/users/{id} through Debian's nginx running the
 * generated split-mode gateway config (scripts/gateway-config.ts, upstream overridden to
 * loopback) in front of a split users process (`bun src/main.ts`, MODULES=users,
 * TRUST_PROXY=true), against the monolith (`bun src/main.ts`, every module) served directly,
 * same seeded database, same run, wrk -c50 with random ids (wrk/user-by-id.lua).
 *
 *   bun bench/gateway.ts
 *
 * The generated config keeps idle connections to each module (`upstream { … keepalive 32; }`,
 * no `Connection: close`); with loopback IP upstreams it is the committed config but for its
 * `server` lines (no `resolve`, which Debian's nginx 1.22 lacks). Every round starts all
 * servers afresh (postgres.js 3.4.9 slows a saturated pool over time; see README) and measures
 * monolith and gateway back to back; the round with the median ratio is shown.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { resolve } from 'node:path'
import { startNginx, testNginx } from '../deploy/test-nginx.ts'
import { renderGatewayConfig } from '../scripts/gateway-config.ts'
import { modules } from '../src/modules.ts'
import {
  cleanEnv,
  fmtMs,
  freePort,
  log,
  medianRound,
  pct,
  rate,
  report,
  seedUsers,
  SEED_USERS,
  SETTINGS,
  startServer,
  otherModuleDatabases,
  usersDatabase,
  wrk,
  type Child,
  type Row,
  type Started,
  type WrkResult,
} from './lib.ts'

export const TARGET = 0.7

type Fixture = { databaseUrl: string; dataDir: string; others: Record<string, string> }

// Split users publishes to consumers in other processes, which the platform allows over Redis only.
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'

function appEnv(fixture: Fixture, extra: Record<string, string>) {
  return cleanEnv({
    USERS_DATABASE_URL: fixture.databaseUrl,
    DB_POOL_MAX: String(SETTINGS.poolMax),
    LOG_LEVEL: 'warn',
    DATA_DIR: fixture.dataDir,
    ...extra,
  })
}

/** The monolith, served directly: every module of the build, the others on empty databases. */
const startMonolith = (fixture: Fixture, name: string) =>
  startServer(name, ['src/main.ts'], appEnv(fixture, fixture.others), '/readyz')

/** A split users process and nginx in front of it; stopping the returned child stops both. */
async function startGateway(fixture: Fixture, nginx: string, name: string): Promise<Started> {
  const app = await startServer(name, ['src/main.ts'], appEnv(fixture, { MODULES: 'users', TRUST_PROXY: 'true', REDIS_URL }), '/readyz')
  try {
    const port = freePort()
    // Users alone behind it: the others' upstreams would be compose names, which Debian's nginx 1.22 cannot re-resolve.
    const usersOnly = modules.filter((module) => module.name === 'users')
    const config = renderGatewayConfig(usersOnly, { listen: `127.0.0.1:${port}`, upstreams: { users: new URL(app.url).host } })
    const url = `http://127.0.0.1:${port}`
    const running = await startNginx(nginx, config, `${url}/healthz`)
    const child: Child = {
      ...app.child,
      stop: async () => {
        await running.stop()
        return app.child.stop()
      },
    }
    return { url, child }
  } catch (error) {
    await app.child.stop()
    throw error
  }
}

type GatewayRound = { monolith: WrkResult; gateway: WrkResult; ratio: number }

export async function gateway(): Promise<Row[]> {
  const nginx = testNginx('bench gateway figure')
  if (!nginx) throw new Error('nginx is not installed: `apt-get install -y nginx` (Debian package), then run again')
  process.env.BENCH_SEED_USERS = String(SEED_USERS)
  log('creating a scratch users database from the migrated template')
  const database = await usersDatabase()
  const others = await otherModuleDatabases()
  const dataDir = mkdtempSync(resolve(tmpdir(), 'ondes-bench-gateway-'))
  const fixture = { databaseUrl: database.url, dataDir, others: others.env }
  const rounds: GatewayRound[] = []
  try {
    log(`seeding ${SEED_USERS} users (${database.name})`)
    await seedUsers(database.url)
    // Generates the signing keys in DATA_DIR once, so the processes of each round only read them.
    await (await startMonolith(fixture, 'gateway-keys')).child.stop()
    for (let round = 1; round <= SETTINGS.rounds; round++) {
      const started: Started[] = []
      try {
        started.push(await startMonolith(fixture, `monolith-${round}`))
        started.push(await startGateway(fixture, nginx, `split-users-${round}`))
        const sides = started as [Started, Started]
        for (const side of sides) await wrk(side.url, { script: 'user-by-id.lua', seconds: SETTINGS.warmup })
        const results: WrkResult[] = []
        for (const side of sides) results.push(await wrk(side.url, { script: 'user-by-id.lua' }))
        const [rm, rg] = results as [WrkResult, WrkResult]
        rounds.push({ monolith: rm, gateway: rg, ratio: rg.rps / rm.rps })
        log(
          `round ${round} (fresh processes): monolith ${rm.rps.toFixed(0)} req/s (p99 ${fmtMs(rm.p99ms)}) / ` +
            `gateway ${rg.rps.toFixed(0)} req/s (p99 ${fmtMs(rg.p99ms)}) = ${pct(rg.rps / rm.rps)}`,
        )
      } finally {
        for (const side of started.reverse()) await side.child.stop()
      }
    }
  } finally {
    await database.drop()
    await others.drop()
    rmSync(dataDir, { recursive: true, force: true })
  }

  const median = medianRound(rounds)
  const latency = (side: WrkResult) => `p50 ${fmtMs(side.p50ms)}, p99 ${fmtMs(side.p99ms)}`
  return [
    {
      figure: '6. GET /api/users/{id} via nginx (generated gateway) → split users',
      ondes: rate(median.gateway),
      baseline: `${rate(median.monolith)} (monolith, direct)`,
      ratio: pct(median.ratio),
      target: `≥ ${(TARGET * 100).toFixed(0)} %`,
      met: median.ratio >= TARGET,
      notes: [
        `rounds (gateway / monolith = ratio): ${rounds.map((r) => `${r.gateway.rps.toFixed(0)} / ${r.monolith.rps.toFixed(0)} = ${pct(r.ratio)}`).join('; ')}`,
        `median round latency: gateway ${latency(median.gateway)}; monolith ${latency(median.monolith)}`,
      ],
    },
  ]
}

if (import.meta.main) report(await gateway())
