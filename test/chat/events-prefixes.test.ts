/**
 * The whole build in one process: Helix's `/channels/vips` is chat's inside streams'
 * `/channels` — routed to chat, and labelled chat's in the RED metrics, while `/channels`
 * stays streams'.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { modules } from '../../src/modules.ts'
import { createTestPlatform, type TestPlatform } from '../../src/platform/testing/harness.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'

let t: TestPlatform
beforeAll(async () => {
  t = await createTestPlatform(modules)
}, 60_000)
afterAll(() => t.close(), 30_000)

const count = (metrics: string, module: string, route: string) =>
  metrics
    .split('\n')
    .filter((l) => l.startsWith('http_request_duration_seconds_count{') && l.includes(`module="${module}"`) && l.includes(`route="${route}"`))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0)

test("chat answers /api/channels/vips and streams /api/channels, each under its own module label", async () => {
  const token = await accessTokenFor(t, '4242', [], { login: 'vipcaster' })
  const vips = await t.request('/api/channels/vips?broadcaster_id=4242', { token })
  // Chat's Helix "Get VIPs": the broadcaster's own list, empty so far.
  expect(vips.status).toBe(200)
  expect(await vips.json()).toEqual({ data: [], pagination: {} })
  const channels = await t.request('/api/channels?broadcaster_id=4242')
  expect(channels.status).toBeLessThan(500)

  const metrics = await (await t.request('/metrics')).text()
  expect(count(metrics, 'chat', '/api/channels/vips')).toBe(1)
  expect(count(metrics, 'streams', '/api/channels/vips')).toBe(0)
  expect(count(metrics, 'streams', '/api/channels')).toBe(1)
})
