/**
 * The first snapshot across split processes on this machine's Redis: users alone in one
 * process, two replicas of a consumer started together in two others, on databases that already
 * hold users and follows with a pruned outbox. The replicas ask once (one request in the
 * request stream, one record), a users replica writes the snapshot into its outbox targeted at
 * the consumer, its relay sends it to the consumer's own stream, and with follows and unfollows
 * going on all along the projection ends equal to the users database.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import Redis from 'ioredis'
import type postgres from 'postgres'
import { snapshotRequestStream, snapshotStream } from '../../src/platform/events/snapshot-requests.ts'
import { testRedisUrl } from '../../src/platform/testing/harness.ts'
import { freePort, startApp } from '../../src/platform/testing/processes.ts'
import { startConsumer, type ConsumerProcess } from '../split/consumer-process.ts'
import { PROJECTION_MODULE } from '../split/follower-projection/index.ts'
import { gatewayClient, type Viewer } from '../split/gateway-client.ts'
import { cleanupStack, ledgerDatabases, scratchDataDir, waitUntil, type projectionLedger, type sourceLedger } from '../split/ledgers.ts'
import { followedBy, seedInstallation, snapshotCompleted, snapshotOverlap, startToggling } from './fixtures.ts'

const redisUrl = testRedisUrl('snapshot across split processes')
const SEED = { users: 2000, followsPerUser: 6 }
const VIEWERS = 8

describe.skipIf(!redisUrl)('first snapshot across split processes', () => {
  const cleanups = cleanupStack('split snapshot test')
  const prefix = `test:snapshots:${crypto.randomUUID()}`
  let redis: Redis
  let shared: Record<string, string>
  let projectionUrl: string
  let usersPort: number
  let usersOutput: () => string
  let source: ReturnType<typeof sourceLedger>
  let projection: ReturnType<typeof projectionLedger>
  let usersSql: postgres.Sql
  let projectionSql: postgres.Sql
  let viewers: Viewer[]

  beforeAll(async () => {
    redis = new Redis(redisUrl!)
    cleanups.push(async () => {
      // Only this run's streams: the Redis is shared with other test runs.
      const keys = await redis.keys(`${prefix}:*`)
      if (keys.length > 0) await redis.del(...keys)
      await redis.quit()
    })
    const databases = await ledgerDatabases(cleanups)
    ;({ source, projection, projectionUrl, usersSql, projectionSql } = databases)
    const dataDir = scratchDataDir(cleanups, 'ondes-split-snapshot-')
    shared = {
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      REDIS_URL: redisUrl!,
      EVENTS_STREAM_PREFIX: prefix,
      // Two replicas' batches can deadlock on the projection's rows; the loser's entries come back this soon.
      EVENTS_CLAIM_IDLE_MS: '1000',
      LOG_LEVEL: 'warn',
    }

    usersPort = freePort()
    const usersApp = startApp({
      ...shared,
      MODULES: 'users',
      PORT: String(usersPort),
      USERS_DATABASE_URL: databases.usersUrl,
      AUTH_ATTEMPTS_PER_MINUTE: '100000',
    })
    cleanups.push(async () => {
      usersApp.child.kill('SIGTERM')
      await usersApp.exited
    })
    await usersApp.waitUntilReady()
    usersOutput = () => [...usersApp.stdout, ...usersApp.stderr].join('\n')
    await usersSql`
      insert into users (login, display_name, email, password_hash)
      select 'early_' || i, 'Early ' || i, 'early' || i || '@snapshot.test', 'not a hash' from generate_series(1, 50) as i`
    const client = gatewayClient(usersApp.baseUrl)
    viewers = await Promise.all(Array.from({ length: VIEWERS }, (_, i) => client.register(`viewer_${i}`)))
    // Published long ago and pruned: no stream or outbox holds them any more.
    await waitUntil('the registrations to be published', async () => (await source.unpublished()) === 0, 10_000)
    await seedInstallation(usersSql, SEED)
    const streams = await redis.keys(`${prefix}:users.*`)
    if (streams.length > 0) await redis.del(...streams)
  }, 60_000)

  afterAll(() => cleanups.run(), 60_000)

  test(
    'two replicas starting together ask once; with follows and unfollows going on the projection ends equal to users',
    async () => {
      const follows = await followedBy(usersSql, viewers)
      const consumerEnv = (port: number) => ({
        ...shared,
        MODULES: PROJECTION_MODULE,
        PORT: String(port),
        ANALYTICS_DATABASE_URL: projectionUrl,
        DB_POOL_MAX: '3',
        PROJECTION_HANDLER_DELAY_MS: '5',
      })
      const traffic = startToggling(gatewayClient(`http://127.0.0.1:${usersPort}`), follows)
      let replicas: ConsumerProcess[] = []
      try {
        replicas = await Promise.all([startConsumer(consumerEnv(freePort())), startConsumer(consumerEnv(freePort()))])
        cleanups.push(...replicas.map((replica) => () => replica.stop()))
        const output = async () => ({
          requests: await redis.xlen(snapshotRequestStream(prefix, 'users')),
          snapshotEntries: await redis.xlen(snapshotStream(prefix, PROJECTION_MODULE)),
          unpublished: await source.unpublished(),
          outbox: await usersSql`select target, count(*)::int as n from outbox group by target`,
          usersOutput: usersOutput().slice(-1000),
          replicas: replicas.map((replica) => replica.output().match(/PostgresError: [^\\]*/g)?.slice(0, 3)),
        })
        await waitUntil('the snapshot to be complete', () => snapshotCompleted(projectionSql), 120_000, output)
        const atCompletion = traffic.toggles()
        await waitUntil('traffic after the snapshot', async () => traffic.toggles() >= atCompletion + 50, 30_000)
      } finally {
        await traffic.stop()
      }

      // One request, one record, one snapshot, though two replicas started at once.
      expect(await redis.xlen(snapshotRequestStream(prefix, 'users'))).toBe(1)
      expect(await projectionSql`select producer from event_snapshots`).toHaveLength(1)
      const overlap = await snapshotOverlap(usersSql)
      expect(overlap.snapshot).toBeGreaterThan(SEED.users * SEED.followsPerUser)
      expect(overlap.interleaved).toBeGreaterThan(0)
      expect(overlap.overtaken).toBeGreaterThan(0)

      // Everything published and read off every stream, the consumer's snapshot stream included.
      const drained = async () => {
        if ((await source.unpublished()) > 0) return false
        const [summary] = (await redis.xpending(snapshotStream(prefix, PROJECTION_MODULE), PROJECTION_MODULE)) as [number]
        const equal = JSON.stringify(await projection.follows()) === JSON.stringify(await source.follows())
        return summary === 0 && equal
      }
      await waitUntil('the projection to catch up', drained, 60_000, async () => ({ unpublished: await source.unpublished() }))
      expect(await projection.follows()).toEqual(await source.follows())
      expect(await projection.users()).toEqual(await source.users())
      expect(await projection.appliedMoreThanOnce()).toEqual([])
      expect(await redis.xlen(snapshotStream(prefix, PROJECTION_MODULE))).toBe(overlap.snapshot)
    },
    240_000,
  )
})
