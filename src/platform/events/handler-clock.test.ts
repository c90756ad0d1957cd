import { afterAll, beforeAll, expect, test } from 'bun:test'
import { OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../http/env.ts'
import type { ModuleDefinition } from '../module.ts'
import { movableClock } from '../testing/clock.ts'
import { createTestPlatform, type TestPlatform } from '../testing/harness.ts'
import { consume } from './consume.ts'
import { pingFrom, probeEvents, probeProducer, waitFor } from './test-probe.ts'

const clock = movableClock(new Date('2031-01-01T00:00:00Z'))
/** The time each ping's handler was told, by its `n`. */
const told = new Map<number, Date>()
const consumer: ModuleDefinition = {
  name: 'probe-consumer',
  prefixes: [],
  migrations: probeProducer.migrations,
  consumes: consume(probeEvents, {
    'probe.pinged.v1': async (_tx, event, context) => void told.set(event.payload.n, context.clock()),
  }),
  create: () => ({ routes: new OpenAPIHono<AppEnv>() }),
}
let t: TestPlatform
beforeAll(async () => {
  t = await createTestPlatform([probeProducer, consumer], {}, { clock })
})
afterAll(() => t.close())

test('a handler is told the platform’s clock, moved as the test moves it', async () => {
  await pingFrom(t.sql['probe-producer']!, { n: 1 })
  await waitFor('the first ping', async () => told.has(1))
  clock.advance(86_400_000)
  await pingFrom(t.sql['probe-producer']!, { n: 2 })
  await waitFor('the second ping', async () => told.has(2))
  expect([told.get(1)?.toISOString(), told.get(2)?.toISOString()]).toEqual(['2031-01-01T00:00:00.000Z', '2031-01-02T00:00:00.000Z'])
})
