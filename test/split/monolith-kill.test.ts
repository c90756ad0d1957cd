/**
 * Proof of the in-process transport (issue 3, "Proof"): users and a consuming module in one
 * process with no Redis, as the monolith runs them. The process is killed with SIGKILL while
 * follows go on and events are committed but not yet delivered; after a restart on the same
 * databases every event has taken effect exactly once (the relay sends again what was never
 * marked published, the inbox drops what had already taken effect).
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../../src/platform/testing/processes.ts'
import { startConsumer, type ConsumerProcess } from './consumer-process.ts'
import { PROJECTION_MODULE } from './follower-projection/index.ts'
import { gatewayClient, inParallel, shuffledPairs, type Viewer } from './gateway-client.ts'
import { cleanupStack, ledgerDatabases, waitUntil, type projectionLedger, type sourceLedger } from './ledgers.ts'

const VIEWERS = 12
/** Keeps each delivery's transaction open a while, so a kill under traffic finds events in flight. */
const HANDLER_DELAY_MS = '30'

const cleanups = cleanupStack('monolith kill test')
let env: Record<string, string>
let source: ReturnType<typeof sourceLedger>
let projection: ReturnType<typeof projectionLedger>
let app: ConsumerProcess | undefined

beforeAll(async () => {
  const databases = await ledgerDatabases(cleanups)
  ;({ source, projection } = databases)

  const dataDir = mkdtempSync(join(tmpdir(), 'ondes-monolith-'))
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
  // No REDIS_URL: both modules run here, so events go through the in-process transport.
  env = {
    HOST: '127.0.0.1',
    PORT: String(freePort()),
    DATA_DIR: dataDir,
    MODULES: `users,${PROJECTION_MODULE}`,
    USERS_DATABASE_URL: databases.usersUrl,
    ANALYTICS_DATABASE_URL: databases.projectionUrl,
    PROJECTION_HANDLER_DELAY_MS: HANDLER_DELAY_MS,
    AUTH_ATTEMPTS_PER_MINUTE: '100000',
    LOG_LEVEL: 'warn',
  }
  app = await startConsumer(env)
  cleanups.push(() => app?.stop())
}, 60_000)

afterAll(() => cleanups.run(), 60_000)

/** Events users announced that have not taken effect in the projection. */
const undelivered = async () => {
  const applied = new Set(await projection.appliedEventIds())
  return (await source.eventIds()).filter((id) => !applied.has(id)).length
}

test(
  'kill -9 with events committed but not delivered, restart: nothing lost, nothing applied twice',
  async () => {
    const client = gatewayClient(`http://127.0.0.1:${env.PORT}`)
    const viewers: Viewer[] = []
    await inParallel(
      Array.from({ length: VIEWERS }, (_, i) => `mono${i}`),
      4,
      async (login) => void viewers.push(await client.register(login)),
    )

    // Follows until the kill; the requests the kill cuts off fail, which is all they may do.
    let killed = false
    let answered = 0
    const traffic = inParallel(shuffledPairs(viewers), 8, async ([follower, followed]) => {
      if (killed) return
      await client.setFollowing(follower, followed, true).then(
        () => answered++,
        (error: unknown) => {
          if (!killed) throw error
        },
      )
    })
    // Frozen before it is read, so what is undelivered cannot be delivered between the read and the kill.
    const frozenBehind = async () => {
      if (answered < 30 || (await undelivered()) === 0) return false
      app!.freeze()
      if ((await undelivered()) > 0) return true
      app!.thaw()
      return false
    }
    await waitUntil('follows to be committed ahead of their delivery', frozenBehind, 30_000)
    killed = true
    await app!.killHard()
    app = undefined
    await traffic
    const lost = await undelivered()
    expect(lost).toBeGreaterThan(0)

    app = await startConsumer(env)
    await waitUntil(
      'every event to take effect after the restart',
      async () => (await source.unpublished()) === 0 && (await undelivered()) === 0,
      30_000,
      async () => ({ unpublished: await source.unpublished(), undelivered: await undelivered(), output: app?.output().slice(-2000) }),
    )
    expect(await projection.follows()).toEqual(await source.follows())
    expect(await projection.users()).toEqual(await source.users())
    expect(await projection.appliedMoreThanOnce()).toEqual([])
    expect(await projection.inboxEventIds()).toEqual(await source.eventIds())
    expect((await source.follows()).length).toBeGreaterThanOrEqual(answered)
  },
  90_000,
)
