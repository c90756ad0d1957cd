/**
 * The media servers' callbacks on /metrics: counted by callback and outcome (allowed, refused,
 * error) and timed, with bounded labels (the key and the secret never become one).
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { streams } from '../../src/modules/streams/index.ts'
import { users } from '../../src/modules/users/index.ts'
import { createTestPlatform, type TestPlatform } from '../../src/platform/testing/harness.ts'
import { addBroadcaster, goLive } from './broadcasters.ts'

const SECRET = 'metrics-secret-0123456789abcdefghijklmn'
let t: TestPlatform
beforeAll(async () => {
  t = await createTestPlatform([users, streams], { STREAMS_INGEST_SECRET: SECRET })
}, 30_000)
afterAll(() => t.close(), 30_000)

const publish = (secret: string, key: string) =>
  t.request(`/api/ingest/rtmp/${secret}/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ call: 'publish', app: 'ingest', name: key, clientid: '7' }).toString(),
  })

const sample = (text: string, name: string, labels: string) =>
  Number(new RegExp(`^${name}\\{${labels}\\} (\\d+(?:\\.\\d+)?)$`, 'm').exec(text)?.[1] ?? 0)

test('callbacks are counted allowed or refused, and timed, by callback alone', async () => {
  await goLive(t, SECRET, await addBroadcaster(t, '801', 'measured'), '11')
  expect((await publish(SECRET, 'live_not_a_key')).status).toBeGreaterThanOrEqual(400)
  expect((await publish('a-wrong-secret-000000000000000000000000', 'live_not_a_key')).status).toBe(403)
  expect((await t.request(`/api/ingest/rtmp/${SECRET}/not_a_callback`, { method: 'POST' })).status).toBe(404)

  const text = await (await t.request('/metrics')).text()
  expect(sample(text, 'ingest_callbacks_total', 'module="streams",callback="rtmp_publish",result="allowed"')).toBe(1)
  expect(sample(text, 'ingest_callbacks_total', 'module="streams",callback="rtmp_publish",result="refused"')).toBe(2)
  expect(sample(text, 'ingest_callback_duration_seconds_count', 'module="streams",callback="rtmp_publish"')).toBe(3)
  // Only known callbacks are labels: no path segment, key or secret becomes one.
  const labels = text.split('\n').filter((line) => line.startsWith('ingest_callback'))
  expect(labels.some((line) => line.includes('not_a_callback') || line.includes(SECRET) || line.includes('live_'))).toBe(false)
})
