/**
 * The committed monitoring configuration, checked by Debian's own tools: `promtool check
 * config`, `check rules` and `test rules` (a unit test for every alert), `amtool
 * check-config` and Alertmanager's routing and inhibition.
 */
import { describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { alertmanagerConfig, alertRules, MONITORING, prometheusTools, run } from './tools.ts'

const tools = prometheusTools('monitoring config checks', ['promtool', 'amtool'])
const PROMETHEUS = resolve(MONITORING, 'prometheus')
const TESTS = [...new Bun.Glob('tests/*.test.yml').scanSync(PROMETHEUS)].sort().map((file) => resolve(PROMETHEUS, file))

describe('alert rules', () => {
  test('every alert has a severity Alertmanager routes, and a summary, description and runbook', () => {
    const rules = alertRules()
    expect(rules.length).toBeGreaterThanOrEqual(14)
    for (const rule of rules) {
      expect({ alert: rule.alert, severity: rule.labels?.severity }).toEqual({
        alert: rule.alert,
        severity: expect.stringMatching(/^(critical|warning)$/),
      })
      for (const annotation of ['summary', 'description', 'runbook']) {
        expect({ alert: rule.alert, annotation, text: rule.annotations?.[annotation]?.trim() ?? '' }).toEqual({
          alert: rule.alert,
          annotation,
          text: expect.stringMatching(/\S{3}/),
        })
      }
    }
  })

  test('the issue\'s alerts are all there', () => {
    expect(alertRules().map((r) => r.alert).sort()).toEqual(
      [
        'PostgresDown', 'HostHighCpu', 'HostHighMemory', 'PostgresTooManyConnections', 'PostgresCacheHitRatioLow',
        'HostDiskSpaceLow', 'RedisDown', 'ModuleHighErrorRatio', 'ModuleHighLatency', 'OutboxBacklogGrowing',
        'EventsDeadLettered', 'JobStoppedSucceeding', 'IngestCallbacksFailing', 'ScrapeTargetDown',
      ].sort(),
    )
  })

  test('counters are only read through a range (rate, increase): a raw counter never recovers from a bad hour', () => {
    const counter = /\b(\w+_total|\w+_count|\w+_bucket|pg_stat_database_(?:blks_hit|blks_read|xact_commit|tup_\w+))\b(\{[^}]*\})?(\[)?/g
    const raw = alertRules().flatMap((rule) =>
      [...rule.expr.matchAll(counter)].filter((m) => m[3] === undefined).map((m) => `${rule.alert}: ${m[1]}`),
    )
    expect(raw).toEqual([])
  })

  test('every alert has a promtool unit test that expects it to fire', () => {
    const tested = new Set(
      TESTS.flatMap((file) => {
        const parsed = Bun.YAML.parse(readFileSync(file, 'utf8')) as {
          tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[]
        }
        return parsed.tests.flatMap((t) => (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname))
      }),
    )
    expect(alertRules().map((r) => r.alert).filter((alert) => !tested.has(alert))).toEqual([])
  })
})

describe.skipIf(!tools)('Debian\'s promtool and amtool', () => {
  test('promtool check config accepts prometheus.yml and its rule files', () => {
    const result = run([tools!.promtool, 'check', 'config', resolve(PROMETHEUS, 'prometheus.yml')])
    expect(result).toMatchObject({ code: 0 })
    expect(result.output).toContain('SUCCESS')
  })

  test('promtool check rules accepts every rule file', () => {
    const files = [...new Bun.Glob('rules/*.yml').scanSync(PROMETHEUS)].map((file) => resolve(PROMETHEUS, file))
    expect(run([tools!.promtool, 'check', 'rules', ...files])).toMatchObject({ code: 0 })
  })

  test('promtool test rules: every alert fires when it should and stays quiet when it should not', () => {
    const result = run([tools!.promtool, 'test', 'rules', ...TESTS])
    if (result.code !== 0) console.error(result.output)
    expect(result.code).toBe(0)
  })

  test('promtool test rules fails a rule that misbehaves (the tests can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ondes-rules-'))
    try {
      const rules = readFileSync(resolve(PROMETHEUS, 'rules/infrastructure.yml'), 'utf8')
      expect(rules).toContain('expr: pg_up == 0')
      writeFileSync(join(dir, 'infrastructure.yml'), rules.replace('expr: pg_up == 0', 'expr: pg_up == 2'))
      const test = readFileSync(resolve(PROMETHEUS, 'tests/infrastructure.test.yml'), 'utf8')
      writeFileSync(join(dir, 'infrastructure.test.yml'), test.replace('../rules/infrastructure.yml', 'infrastructure.yml'))
      const result = run([tools!.promtool, 'test', 'rules', join(dir, 'infrastructure.test.yml')])
      expect(result.code).not.toBe(0)
      expect(result.output).toContain('PostgresDown')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  describe('alertmanager.yml', () => {
    const withConfig = <T>(use: (file: string) => T): T => {
      const dir = mkdtempSync(join(tmpdir(), 'ondes-alertmanager-'))
      try {
        const file = join(dir, 'alertmanager.yml')
        writeFileSync(file, alertmanagerConfig('https://hooks.example.com/ondes'))
        return use(file)
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }

    test('amtool check-config accepts it once the webhook URL is filled in, and refuses it before', () => {
      withConfig((file) => expect(run([tools!.amtool, 'check-config', file])).toMatchObject({ code: 0 }))
      expect(run([tools!.amtool, 'check-config', resolve(MONITORING, 'alertmanager/alertmanager.yml')]).code).not.toBe(0)
    })

    test('the entrypoint fills in any URL as it is (&, | and \\ included) and refuses to start without one', () => {
      const url = 'https://hooks.example.com/services/T0/B0?token=a&b=c|d\\e'
      const parsed = Bun.YAML.parse(alertmanagerConfig(url)) as { receivers: { webhook_configs: { url: string }[] }[] }
      expect(parsed.receivers.flatMap((r) => r.webhook_configs.map((w) => w.url))).toEqual([url, url])
      expect(() => alertmanagerConfig('')).toThrow('ALERT_WEBHOOK_URL')
    })

    test('alerts are routed by severity', () => {
      withConfig((file) => {
        const receiver = (...labels: string[]) =>
          run([tools!.amtool, 'config', 'routes', 'test', `--config.file=${file}`, ...labels]).stdout.trim()
        expect(receiver('alertname=PostgresDown', 'severity=critical')).toBe('webhook-critical')
        expect(receiver('alertname=HostHighCpu', 'severity=warning')).toBe('webhook')
        expect(receiver('alertname=Unknown')).toBe('webhook')
      })
    })

    test('a database down inhibits that database\'s connection and cache alerts, and nothing else', () => {
      const parsed = Bun.YAML.parse(alertmanagerConfig('https://hooks.example.com/ondes')) as {
        inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[]
      }
      expect(parsed.inhibit_rules).toEqual([
        {
          source_matchers: ['alertname="PostgresDown"'],
          target_matchers: ['alertname=~"PostgresTooManyConnections|PostgresCacheHitRatioLow"'],
          equal: ['database'],
        },
      ])
      // Both inhibited alerts carry the `database` label the inhibition matches on.
      for (const alert of ['PostgresTooManyConnections', 'PostgresCacheHitRatioLow', 'PostgresDown']) {
        expect(alertRules().find((r) => r.alert === alert)?.annotations?.summary).toContain('{{ $labels.database }}')
      }
    })
  })
})
