import { afterAll, afterEach, describe, expect, test } from 'bun:test'
import Redis from 'ioredis'
import pino from 'pino'
import { Registry } from 'prom-client'
import { loadConfig } from '../config.ts'
import type { ModuleDatabase } from '../db/database.ts'
import { openModuleDatabase } from '../testing/module-database.ts'
import { testRedisUrl } from '../testing/harness.ts'
import { startRedisProxy } from '../testing/redis-proxy.ts'
import { createEventBus, type EventBus } from './bus.ts'
import { pingFrom, probeConsumer, probeProducer, waitFor } from './test-probe.ts'

const redisUrl = testRedisUrl('the event bus over Redis Streams')
const closers: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

/** A bus for the probe producer and consumer on fresh databases, configured by `env`. */
async function probeBus(env: Record<string, string>): Promise<{ bus: EventBus; producer: ModuleDatabase }> {
  const definitions = [probeProducer, probeConsumer('bus')]
  const modules = await Promise.all(
    definitions.map(async (definition) => {
      const { database, close } = await openModuleDatabase(definition)
      closers.push(close)
      return { definition, database }
    }),
  )
  const config = { ...loadConfig({ LOG_LEVEL: 'silent', ...env }), modules: definitions.map((d) => d.name) }
  const bus = createEventBus({ config, log: pino({ level: 'silent' }), registry: new Registry(), modules })
  return { bus, producer: modules[0]!.database }
}

describe('event bus readiness', () => {
  test('in-process: the transport, and each relay once it has run', async () => {
    const { bus } = await probeBus({})
    expect(await bus.readiness()).toEqual({ events_transport: 'ok', 'events_relay_probe-producer': 'starting' })
    await bus.start()
    closers.push(bus.stop)
    await waitFor('the relay to run', async () => (await bus.readiness())['events_relay_probe-producer'] === 'ok')
    expect(await bus.readiness()).toEqual({ events_transport: 'ok', 'events_relay_probe-producer': 'ok' })
  })

  describe.skipIf(!redisUrl)('over Redis Streams', () => {
    const prefix = `test:events:${crypto.randomUUID()}`
    afterAll(async () => {
      const redis = new Redis(redisUrl!)
      const keys = await redis.keys(`${prefix}:*`)
      if (keys.length > 0) await redis.del(...keys)
      await redis.quit()
    })

    test('Redis, the relay and the consumer loop each say ok, what is wrong while Redis is away, and stopped', async () => {
      const proxy = await startRedisProxy(redisUrl!)
      closers.push(proxy.close)
      const { bus, producer } = await probeBus({ REDIS_URL: proxy.url, EVENTS_STREAM_PREFIX: prefix })
      await bus.start()
      let stopped = false
      closers.push(async () => stopped || bus.stop())
      const allOk = { events_transport: 'ok', 'events_consumer_probe-consumer': 'ok', 'events_relay_probe-producer': 'ok' }
      await waitFor('everything ok', async () => Bun.deepEquals(await bus.readiness(), allOk))

      await proxy.down()
      await pingFrom(producer.sql, { n: 1 })
      await waitFor('all three to fail', async () => {
        const checks = await bus.readiness()
        return Object.values(checks).every((check) => check !== 'ok')
      })
      const down = await bus.readiness()
      expect(down.events_transport).toStartWith('redis down: ')
      expect(down['events_relay_probe-producer']).toStartWith('failing: ')
      expect(down['events_consumer_probe-consumer']).toStartWith('failing: ')

      await proxy.up()
      await waitFor('everything ok again', async () => Bun.deepEquals(await bus.readiness(), allOk), 15_000)

      await bus.stop()
      stopped = true
      expect(await bus.readiness()).toMatchObject({ 'events_consumer_probe-consumer': 'stopped', 'events_relay_probe-producer': 'stopped' })
    }, 30_000)
  })
})
