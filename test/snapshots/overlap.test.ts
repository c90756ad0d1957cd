/**
 * Follows and unfollows going on while a late consumer's snapshot is written and delivered,
 * users and the consumer in one process without Redis: live events interleave with the
 * snapshot's in the outbox, some pairs the snapshot announced as followed are unfollowed just
 * after, and the projection still ends equal to the users database (versions and inboxes make
 * the overlap harmless).
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import type postgres from 'postgres'
import { freePort, startApp } from '../../src/platform/testing/processes.ts'
import { startConsumer, USERS_ALONE } from '../split/consumer-process.ts'
import { PROJECTION_MODULE } from '../split/follower-projection/index.ts'
import { gatewayClient, type Viewer } from '../split/gateway-client.ts'
import { cleanupStack, ledgerDatabases, scratchDataDir, waitUntil, type projectionLedger, type sourceLedger } from '../split/ledgers.ts'
import { followedBy, seedInstallation, snapshotCompleted, snapshotOverlap, startToggling } from './fixtures.ts'

/** Large enough that the snapshot takes a while to write and deliver. */
const SEED = { users: 4000, followsPerUser: 8 }
const VIEWERS = 8

const cleanups = cleanupStack('snapshot overlap test')
let env: Record<string, string>
let source: ReturnType<typeof sourceLedger>
let projection: ReturnType<typeof projectionLedger>
let usersSql: postgres.Sql
let projectionSql: postgres.Sql
let viewers: Viewer[]

beforeAll(async () => {
  const databases = await ledgerDatabases(cleanups)
  ;({ source, projection, usersSql, projectionSql } = databases)
  const dataDir = scratchDataDir(cleanups, 'ondes-overlap-')
  env = {
    HOST: '127.0.0.1',
    PORT: String(freePort()),
    DATA_DIR: dataDir,
    USERS_DATABASE_URL: databases.usersUrl,
    ANALYTICS_DATABASE_URL: databases.projectionUrl,
    AUTH_ATTEMPTS_PER_MINUTE: '100000',
    LOG_LEVEL: 'warn',
  }
  // Users alone first, as the installation ran before the consumer existed. The viewers register
  // last, so their follows come in the snapshot's last pages, read while they change.
  const before = startApp({ ...env, MODULES: 'users' }, USERS_ALONE)
  cleanups.push(async () => {
    before.child.kill('SIGTERM')
    await before.exited
  })
  await before.waitUntilReady()
  await usersSql`
    insert into users (login, display_name, email, password_hash)
    select 'early_' || i, 'Early ' || i, 'early' || i || '@snapshot.test', 'not a hash' from generate_series(1, 50) as i`
  const client = gatewayClient(before.baseUrl)
  viewers = await Promise.all(Array.from({ length: VIEWERS }, (_, i) => client.register(`viewer_${i}`)))
  before.child.kill('SIGTERM')
  await before.exited
  await seedInstallation(usersSql, SEED)
}, 60_000)

afterAll(() => cleanups.run(), 60_000)

test(
  'follows and unfollows while the snapshot runs: the projection ends equal to the users database',
  async () => {
    const follows = await followedBy(usersSql, viewers)
    expect([...follows.values()].every((targets) => targets.length >= 4)).toBe(true)
    // No handler delay: writing the snapshot is what the traffic overlaps (the assertions below
    // check it did). A delay per handler call barely slows the snapshot's same-type runs but
    // multiplies over the live events' alternating ones, and only lengthened the wait after it.
    const app = await startConsumer({ ...env, MODULES: `users,${PROJECTION_MODULE}` })
    cleanups.push(() => app.stop())
    const traffic = startToggling(gatewayClient(`http://127.0.0.1:${env.PORT}`), follows)
    try {
      await waitUntil('the snapshot to be complete', () => snapshotCompleted(projectionSql), 60_000, async () => app.output())
      const atCompletion = traffic.toggles()
      await waitUntil('traffic after the snapshot', async () => traffic.toggles() >= atCompletion + 50, 30_000)
    } finally {
      await traffic.stop()
    }

    const overlap = await snapshotOverlap(usersSql)
    // The overlap really happened: live changes were committed among the snapshot's batches, and
    // pairs the snapshot announced as followed were unfollowed after it read them.
    expect(overlap.snapshot).toBeGreaterThan(SEED.users * SEED.followsPerUser)
    expect(overlap.interleaved).toBeGreaterThan(0)
    expect(overlap.overtaken).toBeGreaterThan(0)

    const progress = async () => ({ unpublished: await source.unpublished(), output: app.output().slice(-2000) })
    await waitUntil('the outbox to be published', async () => (await source.unpublished()) === 0, 60_000, progress)
    expect(await projection.follows()).toEqual(await source.follows())
    expect(await projection.users()).toEqual(await source.users())
    expect(await projection.appliedMoreThanOnce()).toEqual([])
  },
  150_000,
)
