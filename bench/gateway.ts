/**
 * Figure "gateway" (issue 3, Speed): GET /api/users/{id} through Debian's nginx running the
 * generated split-mode gateway config (scripts/gateway-config.ts, upstream overridden to
 * loopback) in front of a split users process (`bun src/main.ts`, MODULES=users,
 * TRUST_PROXY=true), against the monolith (`bun src/main.ts`, every module) served directly,
 * same seeded database, same run, wrk -c50 with random ids (wrk/user-by-id.lua).
 *
 *   bun bench/gateway.ts
 *
 * The generated config names its upstream through a variable, resolved per request: nginx
 * then keeps no idle connections to the app and opens a new TCP connection for every request.
 * A second gateway, rendered here for the bench only, routes the same locations to an
 * `upstream { server …; keepalive 64; }` block with `Connection ""`, to show what reused
 * upstream connections are worth. Every round starts all servers afresh (postgres.js 3.4.9
 * slows a saturated pool over time; see README) and measures monolith, generated gateway,
 * keepalive gateway back to back; the round with the median ratio of the generated gateway is shown.
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
  usersDatabase,
  wrk,
  type Child,
  type Row,
  type Started,
  type WrkResult,
} from './lib.ts'

export const TARGET = 0.7

/**
 * The generated config with the users locations sent to an upstream block that keeps idle
 * connections: HTTP/1.1 (already set) and no `Connection: close` (nginx's default header).
 * Bench only; scripts/gateway-config.ts is left as it is.
 */
export function withKeepalive(config: string, upstream: string): string {
  const routed = config.replaceAll('proxy_pass http://$module_users;', 'proxy_pass http://ondes_users;')
  if (routed === config) throw new Error('the generated gateway config no longer proxies to $module_users')
  return routed
    .replace('server {', `upstream ondes_users {\n  server ${upstream};\n  keepalive 64;\n}\n\nserver {`)
    .replace('  proxy_http_version 1.1;', '  proxy_http_version 1.1;\n  proxy_set_header Connection "";')
}

type Fixture = { databaseUrl: string; dataDir: string }

function appEnv(fixture: Fixture, extra: Record<string, string>) {
  return cleanEnv({
    USERS_DATABASE_URL: fixture.databaseUrl,
    DB_POOL_MAX: String(SETTINGS.poolMax),
    LOG_LEVEL: 'warn',
    DATA_DIR: fixture.dataDir,
    ...extra,
  })
}

/**
 * The monolith, served directly. Users is the only module this build has, so MODULES=users is
 * every module there is; naming it spares the other four *_DATABASE_URL (set all or none).
 */
const startMonolith = (fixture: Fixture, name: string) =>
  startServer(name, ['src/main.ts'], appEnv(fixture, { MODULES: 'users' }), '/readyz')

/** A split users process and nginx in front of it; stopping the returned child stops both. */
async function startGateway(fixture: Fixture, nginx: string, name: string, keepalive: boolean): Promise<Started> {
  const app = await startServer(name, ['src/main.ts'], appEnv(fixture, { MODULES: 'users', TRUST_PROXY: 'true' }), '/readyz')
  try {
    const upstream = new URL(app.url).host
    const port = freePort()
    const rendered = renderGatewayConfig(modules, { listen: `127.0.0.1:${port}`, upstreams: { users: upstream } })
    const url = `http://127.0.0.1:${port}`
    const running = await startNginx(nginx, keepalive ? withKeepalive(rendered, upstream) : rendered, `${url}/healthz`)
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

type GatewayRound = { monolith: WrkResult; generated: WrkResult; keepalive: WrkResult; ratio: number; keepaliveRatio: number }

export async function gateway(): Promise<Row[]> {
  const nginx = testNginx('bench gateway figure')
  if (!nginx) throw new Error('nginx is not installed: `apt-get install -y nginx` (Debian package), then run again')
  process.env.BENCH_SEED_USERS = String(SEED_USERS)
  log('creating a scratch users database from the migrated template')
  const database = await usersDatabase()
  const dataDir = mkdtempSync(resolve(tmpdir(), 'ondes-bench-gateway-'))
  const fixture = { databaseUrl: database.url, dataDir }
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
        started.push(await startGateway(fixture, nginx, `split-users-${round}`, false))
        started.push(await startGateway(fixture, nginx, `split-users-keepalive-${round}`, true))
        const [monolith, generated, keepalive] = started as [Started, Started, Started]
        const sides = [monolith, generated, keepalive]
        for (const side of sides) await wrk(side.url, { script: 'user-by-id.lua', seconds: SETTINGS.warmup })
        const results: WrkResult[] = []
        for (const side of sides) results.push(await wrk(side.url, { script: 'user-by-id.lua' }))
        const [rm, rg, rk] = results as [WrkResult, WrkResult, WrkResult]
        rounds.push({ monolith: rm, generated: rg, keepalive: rk, ratio: rg.rps / rm.rps, keepaliveRatio: rk.rps / rm.rps })
        log(
          `round ${round} (fresh processes): monolith ${rm.rps.toFixed(0)} req/s (p99 ${fmtMs(rm.p99ms)}) / ` +
            `gateway ${rg.rps.toFixed(0)} req/s (p99 ${fmtMs(rg.p99ms)}) = ${pct(rg.rps / rm.rps)} / ` +
            `gateway with upstream keepalive ${rk.rps.toFixed(0)} req/s (p99 ${fmtMs(rk.p99ms)}) = ${pct(rk.rps / rm.rps)}`,
        )
      } finally {
        for (const side of started.reverse()) await side.child.stop()
      }
    }
  } finally {
    await database.drop()
    rmSync(dataDir, { recursive: true, force: true })
  }

  const median = medianRound(rounds)
  const all = (pick: (r: GatewayRound) => [WrkResult, number]) =>
    rounds
      .map((r) => {
        const [side, ratio] = pick(r)
        return `${side.rps.toFixed(0)} / ${r.monolith.rps.toFixed(0)} = ${pct(ratio)}`
      })
      .join('; ')
  const latency = (side: WrkResult) => `p50 ${fmtMs(side.p50ms)}, p99 ${fmtMs(side.p99ms)}`
  const keepaliveMedian = medianRound(rounds.map((r) => ({ ...r, ratio: r.keepaliveRatio })))
  return [
    {
      figure: '6. GET /api/users/{id} via nginx (generated gateway) → split users',
      ondes: rate(median.generated),
      baseline: `${rate(median.monolith)} (monolith, direct)`,
      ratio: pct(median.ratio),
      target: `≥ ${(TARGET * 100).toFixed(0)} %`,
      met: median.ratio >= TARGET,
      notes: [
        `rounds (gateway / monolith = ratio): ${all((r) => [r.generated, r.ratio])}`,
        `median round latency: gateway ${latency(median.generated)}; monolith ${latency(median.monolith)}`,
      ],
    },
    {
      figure: '6′. the same, nginx upstream block with keepalive 64 (bench-only config)',
      ondes: rate(keepaliveMedian.keepalive),
      baseline: `${rate(keepaliveMedian.monolith)} (monolith, direct)`,
      ratio: pct(keepaliveMedian.keepaliveRatio),
      target: `≥ ${(TARGET * 100).toFixed(0)} %`,
      met: keepaliveMedian.keepaliveRatio >= TARGET,
      notes: [
        `rounds (keepalive gateway / monolith = ratio): ${all((r) => [r.keepalive, r.keepaliveRatio])}`,
        `median round latency: keepalive gateway ${latency(keepaliveMedian.keepalive)}; monolith ${latency(keepaliveMedian.monolith)}`,
      ],
    },
  ]
}

if (import.meta.main) report(await gateway())
