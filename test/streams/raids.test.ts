import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { streams } from '../../src/modules/streams/index.ts'
import { users } from '../../src/modules/users/index.ts'
import { publishedEvents } from '../../src/platform/testing/events.ts'
import { createTestPlatform, type TestPlatform } from '../../src/platform/testing/harness.ts'
import { addBroadcaster, goLive, type Broadcaster } from './broadcasters.ts'

const SECRET = 'raids-secret-0123456789abcdefghijklmnop'
let t: TestPlatform
let raider: Broadcaster
let target: Broadcaster
let offline: Broadcaster
let raiderStream: string
beforeAll(async () => {
  t = await createTestPlatform([users, streams], { STREAMS_INGEST_SECRET: SECRET, STREAMS_RAID_COUNTDOWN_SECONDS: '1', STREAMS_VIEWER_REFRESH_MS: '100' })
  raider = await addBroadcaster(t, '801', 'raider')
  target = await addBroadcaster(t, '802', 'target')
  offline = await addBroadcaster(t, '803', 'sleeper')
  raiderStream = await goLive(t, SECRET, raider, '1')
  await goLive(t, SECRET, target, '2')
}, 30_000)
afterAll(() => t.close(), 30_000)

const raid = (who: Broadcaster, from: string, to: string, method = 'POST') =>
  t.request(method === 'POST' ? `/api/raids?from_broadcaster_id=${from}&to_broadcaster_id=${to}` : `/api/raids?broadcaster_id=${from}`, {
    method,
    token: who.token,
  })
const problemType = async (res: Response) => ((await res.json()) as { type: string }).type.replace('https://ondes.dev/problems/', '')

describe('raids', () => {
  test('to yourself, to an offline channel, from an offline one or for someone else: 4xx, and nothing starts', async () => {
    expect(await problemType(await raid(raider, raider.id, raider.id))).toBe('raid.self')
    const res = await raid(raider, raider.id, offline.id)
    expect(res.status).toBe(409)
    expect(await problemType(res)).toBe('raid.target_offline')
    expect(await problemType(await raid(offline, offline.id, target.id))).toBe('stream.not_live')
    expect((await raid(target, raider.id, target.id)).status).toBe(403)
    expect(await publishedEvents(t, streams, { type: 'streams.raid_started.v1' })).toEqual([])
  })

  test('canceled within the countdown: nothing completes', async () => {
    expect((await raid(raider, raider.id, target.id)).status).toBe(200)
    expect(await problemType(await raid(raider, raider.id, target.id))).toBe('raid.pending')
    expect((await raid(raider, raider.id, '', 'DELETE')).status).toBe(204)
    expect((await raid(raider, raider.id, '', 'DELETE')).status).toBe(404)
    await Bun.sleep(1500)
    expect(await publishedEvents(t, streams, { type: 'streams.raid_completed.v1' })).toEqual([])
    expect((await publishedEvents(t, streams, { type: 'streams.raid_canceled.v1' })).map((e) => e.payload)).toEqual([
      expect.objectContaining({ from_broadcaster_id: raider.id, to_broadcaster_id: target.id }),
    ])
  }, 10_000)

  test('completes after the countdown with the raider’s viewer count', async () => {
    for (const session of ['viewer-one-1', 'viewer-two-2']) {
      await t.request(`/api/streams/${raiderStream}/heartbeat`, { method: 'POST', json: { session_id: session } })
    }
    const deadline = Date.now() + 5000
    while (Date.now() < deadline) {
      const [row] = await t.sql.streams!`select viewer_count from streams where id = ${raiderStream}`
      if (row?.viewer_count === 2) break
      await Bun.sleep(50)
    }
    const started = await raid(raider, raider.id, target.id)
    expect(((await started.json()) as { data: { is_mature: boolean }[] }).data).toEqual([expect.objectContaining({ is_mature: false })])
    for (const end = Date.now() + 5000; Date.now() < end; ) {
      if ((await publishedEvents(t, streams, { type: 'streams.raid_completed.v1' })).length > 0) break
      await Bun.sleep(100)
    }
    expect((await publishedEvents(t, streams, { type: 'streams.raid_completed.v1' })).map((e) => e.payload)).toEqual([
      expect.objectContaining({ from_broadcaster_id: raider.id, to_broadcaster_login: 'target', viewer_count: 2 }),
    ])
  }, 15_000)
})
