/**
 * A consuming module added to an installation that already has users and follows, whose
 * outbox the relay has long pruned (DESIGN §6): at its first start, in one process with users
 * and no Redis, the platform writes users' snapshot into users' outbox for it alone, and its
 * projection becomes users' state. A restart asks for nothing more.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import type postgres from 'postgres'
import { freePort, startApp } from '../../src/platform/testing/processes.ts'
import { startConsumer, USERS_ALONE } from '../split/consumer-process.ts'
import { PROJECTION_MODULE } from '../split/follower-projection/index.ts'
import { gatewayClient, inParallel } from '../split/gateway-client.ts'
import { cleanupStack, ledgerDatabases, scratchDataDir, waitUntil, type projectionLedger, type sourceLedger } from '../split/ledgers.ts'
import { seedInstallation, snapshotCompleted, snapshotOverlap } from './fixtures.ts'

const cleanups = cleanupStack('late consumer test')
let env: Record<string, string>
let source: ReturnType<typeof sourceLedger>
let projection: ReturnType<typeof projectionLedger>
let usersSql: postgres.Sql
let projectionSql: postgres.Sql
let projectionUrl: string

beforeAll(async () => {
  const databases = await ledgerDatabases(cleanups)
  ;({ source, projection, projectionUrl, usersSql, projectionSql } = databases)
  const dataDir = scratchDataDir(cleanups, 'ondes-late-')
  env = {
    HOST: '127.0.0.1',
    PORT: String(freePort()),
    DATA_DIR: dataDir,
    USERS_DATABASE_URL: databases.usersUrl,
    AUTH_ATTEMPTS_PER_MINUTE: '100000',
    LOG_LEVEL: 'warn',
  }

  // The installation as it was: users alone, used for a while.
  const before = startApp({ ...env, MODULES: 'users' }, USERS_ALONE)
  cleanups.push(async () => {
    before.child.kill('SIGTERM')
    await before.exited
  })
  await before.waitUntilReady()
  const client = gatewayClient(before.baseUrl)
  const viewers = await Promise.all(['viewer_a', 'viewer_b', 'viewer_c'].map((login) => client.register(login)))
  await inParallel(viewers, 3, async (viewer) => {
    for (const other of viewers) if (other !== viewer) await client.setFollowing(viewer, other, true)
  })
  await client.setFollowing(viewers[0]!, viewers[1]!, false)
  before.child.kill('SIGTERM')
  await before.exited
  await seedInstallation(usersSql, { users: 2500, followsPerUser: 3 })
}, 60_000)

afterAll(() => cleanups.run(), 60_000)

test(
  'a consumer added to databases with users, follows and a pruned outbox gets users state at its first start, once',
  async () => {
    expect(await source.unpublished()).toBe(0)
    expect(await usersSql`select 1 from outbox`).toHaveLength(0)
    const follows = await source.follows()
    expect(follows.length).toBeGreaterThan(1000)

    const app = await startConsumer({ ...env, MODULES: `users,${PROJECTION_MODULE}`, ANALYTICS_DATABASE_URL: projectionUrl })
    cleanups.push(() => app.stop())
    await waitUntil('the snapshot to be complete', () => snapshotCompleted(projectionSql), 30_000, async () => app.output())
    await waitUntil('the outbox to be published', async () => (await source.unpublished()) === 0, 30_000)
    expect(await projection.follows()).toEqual(follows)
    expect(await projection.users()).toEqual(await source.users())
    // Targeted at the projection alone, one event per user and per current follow, and the completion mark.
    const { snapshot } = await snapshotOverlap(usersSql)
    expect(snapshot).toBe((await source.users()).length + follows.length + 1)

    // A restart finds the record and asks for nothing.
    await app.stop()
    const again = await startConsumer({ ...env, MODULES: `users,${PROJECTION_MODULE}`, ANALYTICS_DATABASE_URL: projectionUrl })
    cleanups.push(() => again.stop())
    await Bun.sleep(1000)
    expect((await snapshotOverlap(usersSql)).snapshot).toBe(snapshot)
    const records = await projectionSql`select producer, requested_at, completed_at from event_snapshots`
    expect(records.map((r) => r.producer)).toEqual(['users'])
  },
  90_000,
)
