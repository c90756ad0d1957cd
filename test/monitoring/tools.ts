/**
 * Debian's Prometheus tools for the monitoring tests (`prometheus`, `promtool`,
 * `prometheus-alertmanager`, `amtool`, the exporters) and the committed configuration they
 * run. With `REQUIRE_PROMETHEUS=1` (CI) a missing tool fails the test instead of skipping it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { REPO_ROOT } from '../../src/platform/testing/processes.ts'

export const MONITORING = resolve(REPO_ROOT, 'monitoring')

const PACKAGES = {
  prometheus: 'prometheus',
  promtool: 'prometheus',
  'prometheus-alertmanager': 'prometheus-alertmanager',
  amtool: 'prometheus-alertmanager',
  'prometheus-postgres-exporter': 'prometheus-postgres-exporter',
  'prometheus-redis-exporter': 'prometheus-redis-exporter',
  'prometheus-node-exporter': 'prometheus-node-exporter',
} as const
export type Tool = keyof typeof PACKAGES

/**
 * The paths of `tools`, or undefined with a loud note that `what` was skipped.
 * @example
 * const tools = prometheusTools('alert rules', ['promtool'])
 * describe.skipIf(!tools)('alert rules', () => { … })
 */
export function prometheusTools<T extends Tool>(what: string, tools: readonly T[]): Record<T, string> | undefined {
  const found = tools.map((tool) => [tool, Bun.which(tool)] as const)
  const missing = found.filter(([, path]) => !path).map(([tool]) => PACKAGES[tool])
  if (missing.length === 0) return Object.fromEntries(found) as Record<T, string>
  const install = `apt-get install -y --no-install-recommends ${[...new Set(missing)].join(' ')}`
  if (process.env.REQUIRE_PROMETHEUS === '1') throw new Error(`REQUIRE_PROMETHEUS=1 but ${install} is needed by: ${what}`)
  console.warn(`SKIPPED (${install}): ${what}`)
  return undefined
}

/** Runs a tool to completion: its exit code, its stdout, and stdout and stderr together. */
export function run(command: string[]): { code: number; stdout: string; output: string } {
  const result = Bun.spawnSync(command, { stdout: 'pipe', stderr: 'pipe', cwd: REPO_ROOT })
  const stdout = result.stdout.toString()
  return { code: result.exitCode, stdout, output: `${stdout}${result.stderr.toString()}` }
}

/**
 * The committed Alertmanager config with its webhook URL filled in, by the container's own
 * entrypoint (monitoring/alertmanager/entrypoint.sh; Alertmanager reads no environment itself).
 * @example
 * writeFileSync(join(dir, 'alertmanager.yml'), alertmanagerConfig('http://127.0.0.1:9999/alerts'))
 */
export function alertmanagerConfig(webhookUrl: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ondes-alertmanager-config-'))
  try {
    const file = join(dir, 'alertmanager.yml')
    const rendered = Bun.spawnSync(['sh', resolve(MONITORING, 'alertmanager/entrypoint.sh'), 'true'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        ALERT_WEBHOOK_URL: webhookUrl,
        CONFIG_TEMPLATE: resolve(MONITORING, 'alertmanager/alertmanager.yml'),
        CONFIG_FILE: file,
      },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    if (rendered.exitCode !== 0) throw new Error(`entrypoint.sh failed: ${rendered.stderr.toString()}`)
    return readFileSync(file, 'utf8')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export type AlertRule = {
  alert: string
  expr: string
  for?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
}

/** Every alerting rule of monitoring/prometheus/rules/, with the file it is in. */
export function alertRules(): (AlertRule & { file: string })[] {
  const dir = resolve(MONITORING, 'prometheus/rules')
  return [...new Bun.Glob('*.yml').scanSync(dir)].sort().flatMap((file) => {
    const parsed = Bun.YAML.parse(readFileSync(resolve(dir, file), 'utf8')) as { groups: { rules: AlertRule[] }[] }
    return parsed.groups.flatMap((group) => group.rules.filter((rule) => rule.alert).map((rule) => ({ ...rule, file })))
  })
}
