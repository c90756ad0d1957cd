/**
 * Nested module prefixes in split mode (DESIGN §8): each fixture module in a process of its own
 * behind the generated gateway on real nginx, which must send every path to the module with the
 * longest prefix holding it — chat's `/api/channels/vips` inside streams' `/api/channels`.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { renderGatewayConfig } from '../scripts/gateway-config.ts'
import { innerModule, outerModule, type NestedAnswer } from '../src/platform/testing/fixtures/nested-modules.ts'
import { createTestPlatform } from '../src/platform/testing/harness.ts'
import { freePort } from '../src/platform/testing/processes.ts'
import { startNginx, testNginx } from './test-nginx.ts'

describe('gateway config for nested prefixes', () => {
  test('emits the exact and the under-it location of both prefixes, the longer first', () => {
    const config = renderGatewayConfig([outerModule, innerModule])
    const locations = [...config.matchAll(/location (=|\^~) (\S+) \{\n\s+proxy_pass http:\/\/(\w+);/g)].map((m) => m.slice(1).join(' '))
    expect(locations).toEqual([
      '= /api/outer/inner ondes_inner',
      '^~ /api/outer/inner/ ondes_inner',
      '= /api/outer ondes_outer',
      '^~ /api/outer/ ondes_outer',
    ])
    expect(() => renderGatewayConfig([outerModule, innerModule, { ...innerModule, name: 'twin' }])).toThrow(
      'twin: "/api/outer/inner" is already routed to inner',
    )
  })
})

describe('through the gateway on nginx, each module in a process of its own', () => {
  const nginx = testNginx('nested prefixes through the gateway')
  const stops: Array<() => Promise<unknown>> = []
  let gateway = ''

  beforeAll(async () => {
    if (!nginx) return
    const upstreams: Record<string, string> = {}
    for (const definition of [outerModule, innerModule]) {
      const t = await createTestPlatform([definition])
      const served = t.platform.serve({ port: 0, hostname: '127.0.0.1' })
      stops.unshift(t.close)
      upstreams[definition.name] = `127.0.0.1:${served.port}`
    }
    const port = freePort()
    gateway = `http://127.0.0.1:${port}`
    const running = await startNginx(nginx, renderGatewayConfig([outerModule, innerModule], { listen: `127.0.0.1:${port}`, upstreams }), `${gateway}/healthz`)
    stops.unshift(running.stop)
  }, 60_000)

  afterAll(async () => {
    for (const stop of stops) await stop()
  }, 30_000)

  const answered = async (path: string) => {
    const res = await fetch(`${gateway}${path}`)
    return res.status === 200 ? ((await res.json()) as NestedAnswer).module : res.status
  }

  test.skipIf(!nginx)('the longest prefix holding a path gets it, a longer name does not', async () => {
    expect(await answered('/api/outer/inner')).toBe('inner')
    expect(await answered('/api/outer/inner/7')).toBe('inner')
    expect(await answered('/api/outer/inner?first=1')).toBe('inner')
    expect(await answered('/api/outer')).toBe('outer')
    expect(await answered('/api/outer/7')).toBe('outer')
    expect(await answered('/api/outer/innerx')).toBe('outer')
    // The inner module's own 404: nginx never falls back to the outer one.
    expect(await answered('/api/outer/inner/7/deeper')).toBe(404)
    expect(await answered('/api/outerx')).toBe(404)
  })
})
