/**
 * Proof of split mode (issue 3, "Proof"): users alone in one process, a consuming module
 * alone in another, Debian's nginx as the gateway in front, all on this machine's Postgres
 * and Redis. Clients only talk to the gateway; the consumer learns of users only through
 * events (outbox → Redis Streams → inbox). It must see every event exactly once in effect,
 * also across a `kill -9` in the middle of the stream.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import Redis from 'ioredis'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { renderGatewayConfig } from '../../scripts/gateway-config.ts'
import { modules } from '../../src/modules.ts'
import { testRedisUrl } from '../../src/platform/testing/harness.ts'
import { freePort, startApp } from '../../src/platform/testing/processes.ts'
import { startNginx, testNginx } from '../../deploy/test-nginx.ts'
import { startConsumer, type ConsumerProcess } from './consumer-process.ts'
import { PROJECTED_EVENT_TYPES, PROJECTION_MODULE } from './follower-projection/index.ts'
import {
  gatewayClient,
  inParallel,
  pairKey,
  shuffledPairs,
  startFollowTraffic,
  toggleFollow,
  type FollowGraph,
  type GatewayClient,
  type Viewer,
} from './gateway-client.ts'
import { cleanupStack, consumerGroupLedger, ledgerDatabases, waitUntil, type projectionLedger, type sourceLedger } from './ledgers.ts'

const nginx = testNginx('split mode proof')
const redisUrl = testRedisUrl('split mode proof')

const VIEWERS = 30
const FIRST_FOLLOWS = 200
const FIRST_UNFOLLOWS = 40
/** Slows the consumer below the traffic's pace, so it always has a batch in flight when killed. */
const HANDLER_DELAY_MS = '10'
/** Entries a dead consumer left are claimed by the next one after this long. */
const CLAIM_IDLE_MS = '1000'

describe.skipIf(!nginx || !redisUrl)('split mode: users and a consumer in separate processes behind nginx', () => {
  const cleanups = cleanupStack('split test')
  const prefix = `test:split:${crypto.randomUUID()}`
  const graph: FollowGraph = new Set()
  let viewers: Viewer[] = []
  let client: GatewayClient
  let consumerEnv: Record<string, string>
  let consumer: ConsumerProcess | undefined
  let source: ReturnType<typeof sourceLedger>
  let projection: ReturnType<typeof projectionLedger>
  let group: ReturnType<typeof consumerGroupLedger>

  beforeAll(async () => {
    const redis = new Redis(redisUrl!)
    cleanups.push(async () => {
      // Only this run's streams: the Redis is shared with other test runs.
      const keys = await redis.keys(`${prefix}:*`)
      if (keys.length > 0) await redis.del(...keys)
      await redis.quit()
    })
    group = consumerGroupLedger(redis, prefix)

    const databases = await ledgerDatabases(cleanups)
    ;({ source, projection } = databases)

    // Both processes read the signing keys users generates here: tokens it signs, the other can check.
    const dataDir = mkdtempSync(join(tmpdir(), 'ondes-split-'))
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
    const shared = {
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      REDIS_URL: redisUrl!,
      EVENTS_STREAM_PREFIX: prefix,
      EVENTS_CLAIM_IDLE_MS: CLAIM_IDLE_MS,
      LOG_LEVEL: 'warn',
    }

    const usersPort = freePort()
    const usersApp = startApp({
      ...shared,
      MODULES: 'users',
      PORT: String(usersPort),
      USERS_DATABASE_URL: databases.usersUrl,
      TRUST_PROXY: 'true',
      // Every registration comes from 127.0.0.1 (the gateway), and other test runs share the Redis limiter.
      AUTH_ATTEMPTS_PER_MINUTE: '100000',
    })
    cleanups.push(async () => {
      usersApp.child.kill('SIGTERM')
      await usersApp.exited
    })
    await usersApp.waitUntilReady()

    consumerEnv = {
      ...shared,
      MODULES: PROJECTION_MODULE,
      PORT: String(freePort()),
      ANALYTICS_DATABASE_URL: databases.projectionUrl,
      DB_POOL_MAX: '2',
      PROJECTION_HANDLER_DELAY_MS: HANDLER_DELAY_MS,
    }
    consumer = await startConsumer(consumerEnv)
    cleanups.push(() => consumer?.stop())

    const gatewayPort = freePort()
    const gateway = `http://127.0.0.1:${gatewayPort}`
    // Users is the one module behind this gateway (the others' upstreams would be compose names, which Debian's nginx 1.22 cannot re-resolve).
    const config = renderGatewayConfig(modules.filter((module) => module.name === 'users'), {
      listen: `127.0.0.1:${gatewayPort}`,
      upstreams: { users: `127.0.0.1:${usersPort}` },
    })
    const running = await startNginx(nginx!, config, `${gateway}/healthz`)
    cleanups.push(running.stop)
    client = gatewayClient(gateway)
  }, 120_000)

  afterAll(() => cleanups.run(), 60_000)

  /**
   * Whether every event users announced has taken effect in the consumer. Read in this order
   * so that "not yet" can be told from "never": once the announced events are all published
   * and the group has every entry delivered and acknowledged, a missing one is lost.
   */
  const everyEventHandled = async () => {
    const announced = await source.eventIds()
    const published = (await source.unpublished()) === 0
    const caughtUp = published && (await group.caughtUp())
    const applied = new Set(await projection.appliedEventIds())
    const missing = announced.filter((id) => !applied.has(id))
    if (missing.length > 0 && caughtUp) {
      const some = missing.slice(0, 5).join(', ')
      throw new Error(`${missing.length} events were acknowledged but never took effect (lost): ${some}…`)
    }
    return missing.length === 0 && applied.size === announced.length
  }
  const progress = async () => ({
    unpublished: await source.unpublished(),
    announced: (await source.eventIds()).length,
    applied: (await projection.appliedEventIds()).length,
    pending: await group.pending(),
    consumerOutput: consumer?.output().slice(-2000),
  })

  /**
   * Once every event has taken effect: the projection is the users database, each event took
   * effect exactly once (applied counts, inbox), and the group has nothing pending or undelivered.
   * Returns how many events there were.
   */
  const expectExactlyOnceEffect = async () => {
    await waitUntil('every event to take effect in the consumer', everyEventHandled, 45_000, progress)
    const announced = await source.eventIds()
    expect(await projection.follows()).toEqual(await source.follows())
    expect((await source.follows()).map((follow) => follow.split('@')[0]).sort()).toEqual([...graph].sort())
    expect(await projection.users()).toEqual(await source.users())
    expect(await projection.appliedMoreThanOnce()).toEqual([])
    expect(await projection.inboxEventIds()).toEqual(announced)
    await waitUntil('the consumer group to drain', group.caughtUp, 15_000, progress)
    expect(await group.deadLetters()).toBe(0)
    return announced.length
  }

  test(
    'registrations, follows and unfollows through the gateway each take effect exactly once in the consumer',
    async () => {
      const logins = Array.from({ length: VIEWERS }, (_, i) => `viewer${String(i).padStart(2, '0')}`)
      const registered: Viewer[] = []
      await inParallel(logins, 6, async (login) => void registered.push(await client.register(login)))
      viewers = registered

      const pairs = shuffledPairs(viewers).slice(0, FIRST_FOLLOWS)
      const toggle = ([follower, followed]: readonly [Viewer, Viewer]) => toggleFollow(client, graph, follower, followed)
      await inParallel(pairs, 8, toggle)
      await inParallel(pairs.slice(0, FIRST_UNFOLLOWS), 8, toggle)
      expect(graph.size).toBe(FIRST_FOLLOWS - FIRST_UNFOLLOWS)
      expect(graph.has(pairKey(pairs[0]![0], pairs[0]![1]))).toBe(false)

      expect(await expectExactlyOnceEffect()).toBe(VIEWERS + FIRST_FOLLOWS + FIRST_UNFOLLOWS)
    },
    90_000,
  )

  test(
    'kill -9 of the consumer mid-stream, traffic going on, restart: nothing lost, nothing applied twice, pending drains',
    async () => {
      const eventsBefore = (await source.eventIds()).length
      const traffic = startFollowTraffic(client, viewers, graph, { workers: 4, pauseMs: 15 })
      try {
        await waitUntil('traffic to get going', async () => traffic.toggles() >= 100, 30_000)
        // Kill it while it holds delivered, unacknowledged entries: the case redelivery is for.
        const victim = consumer!
        const pendingOnVictim = () => group.pendingOnProcess(victim.pid)
        // Frozen before it is read, so the entries it holds cannot be acknowledged between the read and the kill.
        const frozenHolding = async () => {
          if ((await pendingOnVictim()) < 5) return false
          victim.freeze()
          if ((await pendingOnVictim()) > 0) return true
          victim.thaw()
          return false
        }
        await waitUntil('the consumer to hold pending entries', frozenHolding, 15_000)
        await victim.killHard()
        consumer = undefined
        expect(await pendingOnVictim()).toBeGreaterThan(0)

        const togglesAtKill = traffic.toggles()
        await waitUntil('traffic while the consumer is down', async () => traffic.toggles() >= togglesAtKill + 100, 30_000)
        consumer = await startConsumer(consumerEnv)
        const togglesAtRestart = traffic.toggles()
        await waitUntil('traffic after the restart', async () => traffic.toggles() >= togglesAtRestart + 100, 30_000)
        await waitUntil('the entries the dead consumer left to be claimed', async () => (await pendingOnVictim()) === 0, 30_000)
      } finally {
        await traffic.stop()
      }

      // Each toggle announced exactly one event, and each took effect exactly once.
      expect(await expectExactlyOnceEffect()).toBe(eventsBefore + traffic.toggles())
      const metrics = await (await fetch(`http://127.0.0.1:${consumerEnv.PORT}/metrics`)).text()
      for (const type of PROJECTED_EVENT_TYPES) {
        expect(metrics).toContain(`events_consumer_pending{module="${PROJECTION_MODULE}",type="${type}"} 0`)
      }
    },
    120_000,
  )

  test(
    'every event delivered again (a relay that died before marking its rows published) changes nothing',
    async () => {
      const before = { follows: await projection.follows(), inbox: await projection.inboxEventIds() }
      expect(await group.replayAll()).toBe(before.inbox.length)
      await waitUntil('the replayed entries to be delivered and acknowledged', group.caughtUp, 45_000, progress)
      expect(await projection.appliedMoreThanOnce()).toEqual([])
      expect(await projection.follows()).toEqual(before.follows)
      expect(await projection.inboxEventIds()).toEqual(before.inbox)
      expect(await group.deadLetters()).toBe(0)
    },
    60_000,
  )
})
