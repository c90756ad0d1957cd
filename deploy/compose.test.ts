import { describe, expect, test } from 'bun:test'
import { resolve } from 'node:path'
import { MODULE_NAMES, databaseUrlVariable, type ModuleName } from '../src/platform/config.ts'
import { modules } from '../src/modules.ts'

type Service = {
  image?: string
  build?: unknown
  profiles?: string[]
  ports?: string[]
  volumes?: string[]
  environment?: Record<string, string | null>
  healthcheck?: { test: string[] }
  depends_on?: Record<string, unknown> | string[]
}
type Compose = { services: Record<string, Service>; volumes: Record<string, unknown> }

const root = resolve(import.meta.dir, '..')
const compose = Bun.YAML.parse(await Bun.file(resolve(root, 'docker-compose.yml')).text()) as Compose
const { services } = compose

// `${VAR:-default}` as compose would fill it with nothing set.
const interpolate = (value: string) => value.replace(/\$\{\w+:-([^}]*)\}/g, '$1')

const SEED_PORTS: Record<ModuleName, number> = { users: 5432, streams: 5433, chat: 5434, subscriptions: 5435, analytics: 5436 }
const databaseService = (module: ModuleName) => `${module}-db`

function expectPointsAtOwnDatabase(service: string, module: ModuleName): void {
  const env = services[service]?.environment ?? {}
  const url = new URL(interpolate(env[databaseUrlVariable(module)] ?? ''))
  const database = services[databaseService(module)]
  expect(url.hostname, `${service} → ${module}`).toBe(databaseService(module))
  expect(url.port, `${service} → ${module}`).toBe('5432')
  expect(url.pathname, `${service} → ${module}`).toBe(`/${database?.environment?.POSTGRES_DB}`)
}

describe('docker-compose.yml', () => {
  test('five Postgres 15 servers on 5432–5436 as the seed lays them out, each with a volume and a health check', () => {
    for (const module of MODULE_NAMES) {
      const db = services[databaseService(module)]
      expect(db?.image, module).toStartWith('postgres:15')
      expect(db?.ports).toEqual([`${SEED_PORTS[module]}:5432`])
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
    expect(app?.environment?.REDIS_URL).toBe('redis://redis:6379')
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
      expect(service?.environment?.REDIS_URL).toBe('redis://redis:6379')
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
