import { describe, expect, test } from 'bun:test'
import Redis from 'ioredis'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { MODULE_NAMES, databaseUrlVariable, type ModuleName } from '../src/platform/config.ts'
import { modules } from '../src/modules.ts'
import { accepts, freePort } from '../src/platform/testing/processes.ts'
import { interpolate, referencedVariables } from './compose-interpolation.ts'

type Service = {
  image?: string
  build?: unknown
  profiles?: string[]
  ports?: string[]
  volumes?: string[]
  command?: string[]
  environment?: Record<string, string | null>
  healthcheck?: { test: string[] }
  depends_on?: Record<string, unknown> | string[]
}
type Compose = { services: Record<string, Service>; volumes: Record<string, unknown> }

const root = resolve(import.meta.dir, '..')
const readYaml = async (file: string) => Bun.YAML.parse(await Bun.file(resolve(root, file)).text()) as Compose
const compose = await readYaml('docker-compose.yml')
const local = await readYaml('docker-compose.local.yml')
const { services } = compose

/** The variables .env.example seeds, with their values (`NAME=value` lines; comments skipped). */
const seeded = new Map(
  (await Bun.file(resolve(root, '.env.example')).text())
    .split('\n')
    .map((line) => line.match(/^([A-Z][A-Z0-9_]*)=(.*)$/))
    .filter((match) => match !== null)
    .map((match) => [match[1] as string, match[2] as string]),
)

/** The secrets, as a filled-in .env would give them. */
const SECRETS = {
  POSTGRES_PASSWORD: 'pg-secret',
  REDIS_PASSWORD: 'redis-secret',
  GRAFANA_ADMIN_PASSWORD: 'grafana-secret',
  STRIPE_SECRET_KEY: 'sk_test_compose',
  STRIPE_WEBHOOK_SECRET: 'whsec_compose',
}

const SEED_PORTS: Record<ModuleName, number> = { users: 5432, streams: 5433, chat: 5434, subscriptions: 5435, analytics: 5436 }
const databaseService = (module: ModuleName) => `${module}-db`

function expectPointsAtOwnDatabase(service: string, module: ModuleName): void {
  const env = services[service]?.environment ?? {}
  const url = new URL(interpolate(env[databaseUrlVariable(module)] ?? '', SECRETS))
  const database = services[databaseService(module)]
  expect(url.hostname, `${service} → ${module}`).toBe(databaseService(module))
  expect(url.port, `${service} → ${module}`).toBe('5432')
  expect(url.pathname, `${service} → ${module}`).toBe(`/${database?.environment?.POSTGRES_DB}`)
}

describe('docker-compose.yml', () => {
  test('five Postgres 15 servers, each with a volume and a health check; on 5432–5436 of 127.0.0.1 with the local override', () => {
    for (const module of MODULE_NAMES) {
      const db = services[databaseService(module)]
      expect(db?.image, module).toStartWith('postgres:15')
      expect(db?.ports, module).toBeUndefined()
      expect(local.services[databaseService(module)]?.ports).toEqual([`127.0.0.1:${SEED_PORTS[module]}:5432`])
      expect(db?.environment?.POSTGRES_DB).toBe(`${module}_db`)
      const volume = db?.volumes?.[0]?.split(':')[0] ?? ''
      expect(Object.keys(compose.volumes)).toContain(volume)
      expect(db?.healthcheck?.test.join(' ')).toContain('pg_isready')
    }
    const postgres = Object.values(services).filter((s) => s.image?.startsWith('postgres'))
    expect(postgres).toHaveLength(5)
  })

  test('the monolith runs by default with every module pointed at its own database', () => {
    const app = services.app
    expect(app?.profiles).toBeUndefined()
    expect(app?.build).toBe('.')
    expect(app?.ports).toEqual(['3000:3000'])
    expect(app?.environment?.MODULES).toBeUndefined()
    expect(interpolate(app?.environment?.REDIS_URL ?? '', SECRETS)).toBe('redis://:redis-secret@redis:6379')
    for (const module of MODULE_NAMES) expectPointsAtOwnDatabase('app', module)
  })

  test('split: one scalable service per module, on its own database only, behind the gateway', () => {
    for (const module of MODULE_NAMES) {
      const service = services[module]
      expect(service?.profiles, module).toEqual(['split'])
      // A fixed host port would make `--scale` fail on the second replica.
      expect(service?.ports, module).toBeUndefined()
      expect(service?.environment?.MODULES).toBe(module)
      expect(service?.environment?.TRUST_PROXY).toBe('true')
      expect(interpolate(service?.environment?.REDIS_URL ?? '', SECRETS)).toBe('redis://:redis-secret@redis:6379')
      expectPointsAtOwnDatabase(module, module)
      const others = MODULE_NAMES.filter((m) => m !== module).map(databaseUrlVariable)
      expect(Object.keys(service?.environment ?? {}).filter((k) => others.includes(k)), module).toEqual([])
      expect('JWT_PRIVATE_KEY' in (service?.environment ?? {}), module).toBe(module === 'users')
    }
  })

  test('the gateway serves the generated config on 8080 and finds every module it routes to', () => {
    const gateway = services.gateway
    // The generated config's `server … resolve`: open-source nginx has it from 1.27.3.
    const tag = gateway?.image?.match(/^nginx:(\d+)\.(\d+)(?:\.(\d+))?-/)
    const [major, minor, patch] = [1, 2, 3].map((i) => Number(tag?.[i] ?? 0)) as [number, number, number]
    expect(major * 1e6 + minor * 1e3 + patch, gateway?.image).toBeGreaterThanOrEqual(1_027_003)
    expect(gateway?.profiles).toEqual(['split'])
    expect(gateway?.ports).toEqual(['8080:80'])
    expect(gateway?.volumes).toContain('./deploy/nginx/gateway.conf:/etc/nginx/conf.d/default.conf:ro')
    // renderGatewayConfig's default upstream is `<module>:3000`: each must be a split service.
    for (const { name } of modules) {
      expect(services[name]?.profiles, name).toEqual(['split'])
      expect(gateway?.depends_on).toContain(name)
    }
  })
})

/** Every string in a parsed YAML value, with where it is. */
function strings(value: unknown, path = ''): Array<{ path: string; value: string }> {
  if (typeof value === 'string') return [{ path, value }]
  if (Array.isArray(value)) return value.flatMap((item, i) => strings(item, `${path}[${i}]`))
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => strings(item, path ? `${path}.${key}` : key))
  }
  return []
}

const REQUIRED = /^\$\{([A-Z0-9_]+):\?[^}]+\}$/

describe('docker-compose.yml: safe to deploy as it is', () => {
  test('publishes only the monolith (3000) and the gateway (8080) on every interface, anything else on 127.0.0.1; so does the local override', () => {
    expect(services.app?.ports).toEqual(['3000:3000'])
    expect(services.gateway?.ports).toEqual(['8080:80'])
    for (const [name, service] of Object.entries(services)) {
      if (name === 'app' || name === 'gateway') continue
      for (const port of service.ports ?? []) expect(port, name).toStartWith('127.0.0.1:')
    }
    const localPorts = Object.values(local.services).flatMap((service) => service.ports ?? [])
    expect(localPorts.length).toBeGreaterThan(0)
    for (const port of localPorts) expect(port).toStartWith('127.0.0.1:')
    expect(local.services.redis?.ports).toEqual(['127.0.0.1:6379:6379'])
  })

  test('/metrics is on a listener of its own, which nothing publishes', () => {
    const metricsPort = services.app?.environment?.METRICS_PORT
    expect(metricsPort).toMatch(/^\d+$/)
    expect(metricsPort).not.toBe('3000')
    for (const name of ['app', ...MODULE_NAMES]) expect(services[name]?.environment?.METRICS_PORT, name).toBe(metricsPort)
    for (const port of services.app?.ports ?? []) expect(port.split(':').at(-1)).not.toBe(metricsPort)
    expect(local.services.app?.ports).toEqual([`127.0.0.1:${metricsPort}:${metricsPort}`])
  })

  test('every secret comes from .env as a required variable, and .env.example seeds each one empty', () => {
    const all = strings(compose)
    const secretNames = new Set<string>()
    for (const { path, value } of all) {
      for (const { name, operator } of referencedVariables(value)) {
        if (/PASSWORD|SECRET|TOKEN/.test(name)) {
          expect(operator, `${path}: ${value}`).toBe(':?')
          secretNames.add(name)
        }
      }
      // A password in a URL is a required variable, never a literal or a default.
      const credentials = value.match(/^[a-z]+:\/\/[^:@/]*:(\$\{[^}]*\}|[^@]*)@/)
      if (credentials) expect(credentials[1], path).toMatch(REQUIRED)
    }
    // Each password-like setting in an environment is one required variable, nothing else.
    for (const [name, service] of Object.entries(services)) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (/PASSWORD|_AUTH$/.test(key)) expect(value ?? '', `${name}.${key}`).toMatch(REQUIRED)
      }
    }
    expect([...secretNames].sort()).toEqual(Object.keys(SECRETS).sort())
    for (const name of secretNames) expect(seeded.get(name), `.env.example ${name}`).toBe('')
  })

  test('compose refuses to start while a secret is missing, the seed copied as it is included', () => {
    const document = (env: Record<string, string | undefined>) => strings(compose).map(({ value }) => interpolate(value, env))
    for (const name of Object.keys(SECRETS)) {
      expect(() => document({ ...SECRETS, [name]: undefined })).toThrow(`required variable ${name} is missing a value`)
    }
    expect(() => document(Object.fromEntries(seeded))).toThrow('is missing a value')
    expect(() => document(SECRETS)).not.toThrow()
  })

  test('Redis asks for the password, its health check gives it, and the apps connect with it', async () => {
    const redis = services.redis
    const command = (redis?.command ?? []).map((arg) => interpolate(arg, SECRETS))
    expect(command[0]).toBe('redis-server')
    expect(command[command.indexOf('--requirepass') + 1]).toBe(SECRETS.REDIS_PASSWORD)
    expect(interpolate(redis?.environment?.REDISCLI_AUTH ?? '', SECRETS)).toBe(SECRETS.REDIS_PASSWORD)
    expect(redis?.healthcheck?.test.join(' ')).toContain('grep -q PONG')

    // The image's command on this machine's redis-server, on a port and directory of its own.
    const dir = mkdtempSync(join(tmpdir(), 'ondes-compose-redis-'))
    const port = freePort()
    const server = Bun.spawn([...command, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''], {
      stdout: 'ignore',
      stderr: 'ignore',
    })
    try {
      const url = new URL(interpolate(services.app?.environment?.REDIS_URL ?? '', SECRETS))
      url.host = `127.0.0.1:${port}`
      const cli = async (env: Record<string, string>) => {
        const run = Bun.spawn(['redis-cli', '-p', String(port), 'ping'], { env: { ...process.env, ...env }, stdout: 'pipe' })
        return (await new Response(run.stdout).text()).trim()
      }
      const deadline = Date.now() + 5_000
      while (!(await accepts(port)) && Date.now() < deadline) await Bun.sleep(50)
      expect(await cli({})).toContain('NOAUTH')
      expect(await cli({ REDISCLI_AUTH: SECRETS.REDIS_PASSWORD })).toBe('PONG')
      const client = new Redis(url.href, { lazyConnect: true, maxRetriesPerRequest: 0 })
      try {
        await client.connect()
        expect(await client.ping()).toBe('PONG')
      } finally {
        client.disconnect()
      }
    } finally {
      server.kill()
      await server.exited
      rmSync(dir, { recursive: true, force: true })
    }
  }, 15_000)
})
