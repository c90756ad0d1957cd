/**
 * `bun run status` as a user runs it, against the real app (users and streams on fresh
 * databases), this machine's Redis and a real Prometheus: all answering → exit 0; a target
 * Prometheus cannot scrape, an Alertmanager that is not there, a database that is not there
 * → exit 1, each on its own row.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { modules } from '../../src/modules.ts'
import { MODULE_NAMES, databaseUrlVariable } from '../../src/platform/config.ts'
import { testRedisUrl } from '../../src/platform/testing/harness.ts'
import { freePort, REPO_ROOT, type AppProcess } from '../../src/platform/testing/processes.ts'
import { startDaemon, startOndes, type Cleanup, type Daemon } from './stack.ts'
import { prometheusTools } from './tools.ts'

const tools = prometheusTools('bun run status', ['prometheus'])
const redisUrl = testRedisUrl('bun run status')

const cleanups: Cleanup[] = []
let env: Record<string, string>
let app: AppProcess
let prometheus: Daemon
let closedPort: number

describe.skipIf(!tools || !redisUrl)('bun run status', () => {
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ondes-status-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const ondes = await startOndes(dir, cleanups)
    app = ondes.app

    closedPort = freePort()
    const port = freePort()
    const config = join(dir, 'prometheus.yml')
    writeFileSync(
      config,
      Bun.YAML.stringify({
        global: { scrape_interval: '1s' },
        scrape_configs: [
          { job_name: 'prometheus', static_configs: [{ targets: [`127.0.0.1:${port}`] }] },
          { job_name: 'postgres', static_configs: [{ targets: [`127.0.0.1:${closedPort}`], labels: { database: 'chat' } }] },
        ],
      }),
    )
    prometheus = await startDaemon(
      'prometheus',
      [tools!.prometheus, `--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
      port,
      dir,
    )
    cleanups.push(() => prometheus.stop())

    // The modules this build ships, on their databases; the others' checks are skipped, as is the rest.
    env = {
      ...Object.fromEntries(MODULE_NAMES.map((m) => [databaseUrlVariable(m), ondes.databaseUrls[m] ?? ''])),
      REDIS_URL: redisUrl!,
      ONDES_URLS: app.baseUrl,
      INGEST_RTMP_ADDRESS: '',
      PROMETHEUS_URL: '',
      ALERTMANAGER_URL: '',
      GRAFANA_URL: '',
    }
  }, 30_000)

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => {})
  })

  async function status(overrides: Record<string, string> = {}): Promise<{ code: number; rows: string[][] }> {
    const child = Bun.spawn([process.execPath, 'scripts/status.ts'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env, ...overrides },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const [out, code] = await Promise.all([new Response(child.stdout).text(), child.exited])
    const rows = out
      .trim()
      .split('\n')
      .slice(2)
      .map((line) => line.split(/ {2,}/))
    return { code, rows }
  }

  test('everything it is asked about answers: one row each, exit 0', async () => {
    const result = await status()
    const shipped = MODULE_NAMES.filter((m) => modules.some((d) => d.name === m))
    expect(shipped).toContain('users')
    expect(result.rows.map((r) => [r[0], r[2]])).toEqual([
      ...shipped.map((m) => [`${m} database`, 'ok']),
      ['redis', 'ok'],
      ...shipped.map((m) => [`module ${m}`, 'ok']),
      ['app', 'ok'],
    ])
    expect(result.code).toBe(0)
  }, 20_000)

  test('Prometheus answers but a target it scrapes does not, Alertmanager and a database are not there: exit 1, each named', async () => {
    // Prometheus takes a few seconds to start its scrape loops: until the closed target has been tried.
    for (let attempt = 0; attempt < 60; attempt++) {
      const res = await fetch(`http://127.0.0.1:${prometheus.port}/api/v1/targets?state=active`)
      const targets = ((await res.json()) as { data: { activeTargets: { health: string }[] } }).data.activeTargets
      if (targets.length === 2 && targets.every((t) => t.health !== 'unknown')) break
      await Bun.sleep(250)
    }
    const result = await status({
      PROMETHEUS_URL: `http://127.0.0.1:${prometheus.port}`,
      ALERTMANAGER_URL: `http://127.0.0.1:${closedPort}`,
      STREAMS_DATABASE_URL: `postgres://postgres@127.0.0.1:${closedPort}/streams_db`,
    })
    expect(result.code).toBe(1)
    const byName = Object.fromEntries(result.rows.map((r) => [r[0], r[2] ?? '']))
    expect(byName).toMatchObject({
      'users database': 'ok',
      'streams database': expect.stringMatching(/^DOWN: /),
      prometheus: 'ok',
      'target prometheus': 'ok',
      'target postgres (chat)': expect.stringMatching(/^DOWN: /),
      alertmanager: expect.stringMatching(/^DOWN: /),
    })
  }, 20_000)
})
