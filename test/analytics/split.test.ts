/**
 * Split mode (issue 13, "Proof"): analytics alone in its own OS process (src/main.ts with
 * MODULES=analytics), fed through Redis Streams the way the producing modules' relays feed it
 * (the platform's Redis Streams transport publishing their envelopes, duplicates included), makes
 * the numbers the histories say; killed with SIGKILL in the middle of the stream and started
 * again, it loses nothing and counts nothing twice.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import pino from 'pino'
import { Registry } from 'prom-client'
import { analytics } from '../../src/modules/analytics/index.ts'
import { createEventMetrics } from '../../src/platform/events/metrics.ts'
import { createRedisStreamsTransport } from '../../src/platform/events/redis-streams.ts'
import { createDatabaseFromTemplate } from '../../src/platform/testing/databases.ts'
import { testRedisUrl } from '../../src/platform/testing/harness.ts'
import { freePort, startApp, type AppProcess } from '../../src/platform/testing/processes.ts'
import { cleanupStack, scratchDataDir, waitUntil } from '../split/ledgers.ts'
import { actualOf, analyticsParts, comparable } from './analytics.ts'
import { differences } from './differences.ts'
import { forgetStreamsAtEnd } from './split-fixture.ts'
import { deliveries, expectedOf, histories, type History } from './world.ts'

const redisUrl = testRedisUrl('analytics in split mode')

describe.skipIf(!redisUrl)('split mode: analytics alone in its process, fed through Redis Streams', () => {
  const cleanups = cleanupStack('analytics split test')
  const prefix = `test:analytics-split:${crypto.randomUUID()}`
  let env: Record<string, string>
  let app: AppProcess | undefined
  let parts: ReturnType<typeof analyticsParts>
  let transport: ReturnType<typeof createRedisStreamsTransport>
  const stories: History[] = fc.sample(histories, { numRuns: 4, seed: 13 })

  const start = async () => {
    app = startApp(env)
    await app.waitUntilReady(60_000)
  }

  beforeAll(async () => {
    forgetStreamsAtEnd(cleanups, redisUrl!, prefix)
    const database = await createDatabaseFromTemplate('analytics', analytics.migrations)
    cleanups.push(() => database.drop())
    parts = analyticsParts(database.url)
    cleanups.push(() => parts.close())
    const metrics = createEventMetrics(new Registry(), { outboxes: async () => [], lag: async () => [] })
    transport = createRedisStreamsTransport({ url: redisUrl!, prefix, claimIdleMs: 1000, deadConsumerIdleMs: 60_000, metrics, log: pino({ level: 'silent' }) })
    cleanups.push(() => transport.stop())
    env = {
      HOST: '127.0.0.1',
      PORT: String(freePort()),
      DATA_DIR: scratchDataDir(cleanups, 'ondes-analytics-split-'),
      MODULES: 'analytics',
      ANALYTICS_DATABASE_URL: database.url,
      REDIS_URL: redisUrl!,
      EVENTS_STREAM_PREFIX: prefix,
      EVENTS_CLAIM_IDLE_MS: '1000',
      DB_POOL_MAX: '3',
      LOG_LEVEL: 'warn',
    }
    cleanups.push(async () => {
      app?.child.kill('SIGTERM')
      await app?.exited
    })
    await start()
  }, 90_000)
  afterAll(() => cleanups.run(), 60_000)

  test('the same numbers as the histories, across a kill -9 mid-stream', async () => {
    const batches = stories.flatMap((story, i) => deliveries(story, 1000 + i, 3, 10))
    const killAt = Math.floor(batches.length * 0.4)
    const restartAt = Math.floor(batches.length * 0.7)
    for (const [i, batch] of batches.entries()) {
      if (i === killAt) {
        // Wait until it is busy with what has come so far, then cut it off without a word.
        await waitUntil('analytics to consume something', async () => (await parts.database.sql`select 1 from inbox limit 1`).length > 0, 30_000)
        app!.child.kill('SIGKILL')
        await app!.exited
      }
      if (i === restartAt) await start()
      await transport.publish(batch)
      await Bun.sleep(5)
    }
    const expected = stories.map((story) => comparable(expectedOf(story)))
    const actual = async () => {
      await parts.sessions.summarize()
      await parts.rollups.refresh()
      return Promise.all(stories.map((story) => actualOf(parts.database.sql, parts, story)))
    }
    await waitUntil('analytics to hold what the histories say', async () => Bun.deepEquals(await actual(), expected), 90_000, async () => {
      const got = await actual()
      return stories.map((_, i) => differences(got[i], expected[i]).slice(0, 20))
    })
    expect(await actual()).toEqual(expected)
    expect([...(await parts.database.sql`select event_id from dead_letters`)]).toEqual([])
  }, 240_000)
})
