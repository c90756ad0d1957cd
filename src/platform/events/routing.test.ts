import { describe, expect, test } from 'bun:test'
import { ConfigError, loadConfig } from '../config.ts'
import { createPlatform } from '../platform.ts'
import { checkEventRoutes } from './routing.ts'
import { probeConsumer, probeProducer } from './test-probe.ts'

const definitions = [probeProducer, probeConsumer('routing')]
const config = (modules: string[], env: Record<string, string> = {}) => ({
  ...loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: '.data/test', ...env }),
  modules,
})

describe('start-up rule: events to or from a module elsewhere need Redis', () => {
  test('a consumer whose producer runs elsewhere is refused without REDIS_URL, in one line naming it', () => {
    const run = () => checkEventRoutes(config(['probe-consumer']), definitions)
    expect(run).toThrow(ConfigError)
    expect(run).toThrow(
      'REDIS_URL: expected a redis:// URL, because probe-consumer consumes probe.pinged.v1 from probe-producer and probe-producer does not run in this process (MODULES=probe-consumer)',
    )
  })

  test('a producer whose consumer runs elsewhere is refused too', () => {
    expect(() => checkEventRoutes(config(['probe-producer']), definitions)).toThrow(
      /^REDIS_URL: expected a redis:\/\/ URL, because probe-consumer consumes probe\.pinged\.v1 from probe-producer and probe-consumer does not run/,
    )
  })

  test('a consumer of events no module of this build produces is refused', () => {
    expect(() => checkEventRoutes(config(['probe-consumer']), [probeConsumer('alone')])).toThrow(
      /from a module this build does not have/,
    )
  })

  test('both ends here, or REDIS_URL set, or no exchange at all: accepted', () => {
    expect(() => checkEventRoutes(config(['probe-producer', 'probe-consumer']), definitions)).not.toThrow()
    expect(() =>
      checkEventRoutes(config(['probe-consumer'], { REDIS_URL: 'redis://127.0.0.1:6379' }), definitions),
    ).not.toThrow()
    expect(() => checkEventRoutes(config(['users']), definitions)).not.toThrow()
  })

  test('createPlatform refuses before it opens anything', async () => {
    // No database URLs at all: the events rule must fire first.
    await expect(createPlatform(config(['probe-consumer']), definitions)).rejects.toThrow(/^REDIS_URL: /)
  })
})
