/**
 * Subscriptions added to an installation whose users already follow each other: at its first
 * start the users snapshot brings it every current follow, and each earns its one-time bonus.
 */
import { afterAll, expect, test } from 'bun:test'
import postgres from 'postgres'
import { streams } from '../../src/modules/streams/index.ts'
import { FOLLOW_BONUS_POINTS } from '../../src/modules/subscriptions/earning.ts'
import { subscriptions } from '../../src/modules/subscriptions/index.ts'
import { users } from '../../src/modules/users/index.ts'
import { loadConfig } from '../../src/platform/config.ts'
import { createPlatform, type Platform } from '../../src/platform/platform.ts'
import { createDatabaseFromTemplate } from '../../src/platform/testing/databases.ts'
import { createTestPlatform } from '../../src/platform/testing/harness.ts'

const cleanups: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

test('a late subscriptions module credits the follow bonus of every follow made before it existed, once', async () => {
  const before = await createTestPlatform([users], { AUTH_ATTEMPTS_PER_MINUTE: '1000' })
  cleanups.push(() => before.close())
  const ids: string[] = []
  const tokens: string[] = []
  for (const login of ['early_streamer', 'early_fan_a', 'early_fan_b']) {
    const res = await before.request('/api/auth/register', { method: 'POST', json: { login, email: `${login}@example.test`, password: 'correct horse battery' } })
    const { data } = (await res.json()) as { data: { user_id: string; access_token: string } }
    ids.push(data.user_id)
    tokens.push(data.access_token)
  }
  for (const fan of [1, 2]) expect((await before.request(`/api/users/${ids[0]}/follow`, { method: 'PUT', token: tokens[fan] })).status).toBe(204)
  // The installation stops before the upgrade (its databases stay): one relay on users' outbox.
  await before.platform.stop()

  const added = await Promise.all([createDatabaseFromTemplate('streams', streams.migrations), createDatabaseFromTemplate('subscriptions', subscriptions.migrations)])
  cleanups.push(() => Promise.all(added.map((d) => d.drop())))
  const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: '.data/test', DB_POOL_MAX: '5' })
  const databaseUrls = { ...config.databaseUrls, users: before.databaseUrls.users, streams: added[0].url, subscriptions: added[1].url }
  const later: Platform = await createPlatform({ ...config, modules: ['users', 'streams', 'subscriptions'], databaseUrls }, [users, streams, subscriptions])
  cleanups.push(() => later.stop())

  const sql = postgres(added[1].url, { max: 1, onnotice: () => {} })
  cleanups.push(() => sql.end())
  const credited = async () =>
    (await sql<{ user_id: string; balance: string }[]>`
      select user_id::text, balance::text from channel_points where broadcaster_id = ${ids[0]!} order by user_id`).map((row) => ({ ...row }))
  for (let i = 0; i < 200 && (await credited()).length < 2; i++) await Bun.sleep(50)
  expect(await credited()).toEqual(
    [ids[1]!, ids[2]!].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)).map((user_id) => ({ user_id, balance: String(FOLLOW_BONUS_POINTS) })),
  )
}, 30_000)
