/**
 * `bun run events:replay --from users --to <consumer>` run for real: its usage errors from the
 * package script itself, and a replay into a projection wiped by a "bug fix" while the app runs
 * (users and the consumer in one process): the relay delivers the snapshot to the consumer and
 * its projection is users' state again.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import type postgres from 'postgres'
import { freePort, REPO_ROOT } from '../../src/platform/testing/processes.ts'
import { startConsumer } from '../split/consumer-process.ts'
import { PROJECTION_MODULE } from '../split/follower-projection/index.ts'
import { cleanupStack, ledgerDatabases, scratchDataDir, waitUntil, type projectionLedger, type sourceLedger } from '../split/ledgers.ts'
import { seedInstallation, snapshotCompleted } from './fixtures.ts'

const cleanups = cleanupStack('events:replay test')
let env: Record<string, string>
let source: ReturnType<typeof sourceLedger>
let projection: ReturnType<typeof projectionLedger>
let usersSql: postgres.Sql
let projectionSql: postgres.Sql

/** Runs a command with only `env` (plus PATH and HOME), as a user at a shell would. */
async function run(command: string[], extra: Record<string, string> = {}) {
  const child = Bun.spawn(command, {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env, ...extra },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
  return { code, stdout, stderr }
}

beforeAll(async () => {
  const databases = await ledgerDatabases(cleanups)
  ;({ source, projection, usersSql, projectionSql } = databases)
  const dataDir = scratchDataDir(cleanups, 'ondes-replay-')
  env = {
    HOST: '127.0.0.1',
    PORT: String(freePort()),
    DATA_DIR: dataDir,
    USERS_DATABASE_URL: databases.usersUrl,
    ANALYTICS_DATABASE_URL: databases.projectionUrl,
    LOG_LEVEL: 'warn',
  }
  await seedInstallation(usersSql, { users: 500, followsPerUser: 4 })
}, 60_000)

afterAll(() => cleanups.run(), 60_000)

test(
  'bun run events:replay: one line and exit code 2 for a command line it cannot follow',
  async () => {
    const cases: [string[], RegExp][] = [
      [[], /^events:replay: usage: bun run events:replay --from <producer> --to <consumer>$/],
      [['--from', 'nobody', '--to', 'users'], /^events:replay: --from nobody: no such module \(this build has users.*\)$/],
      [['--from', 'users', '--to', 'users'], /^events:replay: --to users: consumes no event of users$/],
      [['--from', 'users', '--into', 'users'], /^events:replay: .*--into.*\n.*usage/],
    ]
    for (const [args, expected] of cases) {
      const { code, stdout, stderr } = await run(['bun', 'run', '--silent', 'events:replay', ...args])
      expect({ code, stdout, stderr: stderr.trim() }).toMatchObject({ code: 2, stdout: '' })
      expect(stderr.trim()).toMatch(expected)
    }
  },
  60_000,
)

test(
  'a projection wiped while the app runs is users state again after events:replay',
  async () => {
    const app = await startConsumer({ ...env, MODULES: `users,${PROJECTION_MODULE}` })
    cleanups.push(() => app.stop())
    await waitUntil('the first snapshot', () => snapshotCompleted(projectionSql), 30_000, async () => app.output())
    await waitUntil('the outbox to be published', async () => (await source.unpublished()) === 0, 30_000)
    const follows = await source.follows()
    expect(await projection.follows()).toEqual(follows)

    // The bug fix: the projection starts over, and nothing live would ever refill it.
    await projectionSql`truncate follow_projection, known_users`
    await projectionSql`update event_snapshots set completed_at = null`
    const { code, stdout, stderr } = await run(['bun', 'test/snapshots/replay-main.ts', '--from', 'users', '--to', PROJECTION_MODULE])
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
    const users = (await source.users()).length
    expect(stdout.trim()).toMatch(
      new RegExp(`^events:replay: ${users + follows.length} events of users \\(users.registered.v1, users.followed.v1, users.unfollowed.v1\\) written to its outbox for ${PROJECTION_MODULE} in [0-9.]+ s; the running relays publish them$`),
    )
    await waitUntil('the replay to be complete', () => snapshotCompleted(projectionSql), 30_000, async () => app.output())
    expect(await projection.follows()).toEqual(follows)
    expect(await projection.users()).toEqual(await source.users())
  },
  90_000,
)
