import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { testIngestTools } from '../../../deploy/ingest/test-ingest.ts'
import { accepts, freePort } from '../../platform/testing/processes.ts'
import { embeddedIngest, INGEST_HINT, type EmbeddedIngestOptions } from './embedded-ingest.ts'

const tools = testIngestTools('the embedded ingest (nginx-rtmp as a child process)')
const root = mkdtempSync(join(tmpdir(), 'ondes-embedded-ingest-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

function options(overrides: Partial<EmbeddedIngestOptions> = {}): { options: EmbeddedIngestOptions; lines: () => { level: number; msg: string }[] } {
  const written: string[] = []
  const log = pino({ level: 'info' }, { write: (line: string) => void written.push(line) })
  return {
    options: {
      nginx: tools?.nginx ?? 'nginx',
      app: { host: '0.0.0.0', port: 3000 },
      secret: 'embedded-secret-0123456789abcdefghijklmnop',
      rtmpPort: 1935,
      hlsDir: join(root, 'hls'),
      recordingsDir: join(root, 'recordings'),
      updateTimeoutSeconds: 90,
      log,
      ...overrides,
    },
    lines: () => written.map((line) => JSON.parse(line) as { level: number; msg: string }),
  }
}
const always = { companions: true, mode: 'auto', externalServer: false } as const

describe('embeddedIngest', () => {
  test('nothing, and not a word, for a test platform, with `off`, or beside a media server of its own', async () => {
    for (const when of [{ ...always, companions: false }, { ...always, mode: 'off' as const }, { ...always, externalServer: true }]) {
      const probe = options({ nginx: '/nonexistent/nginx' })
      expect(await embeddedIngest(when, probe.options)).toBeUndefined()
      expect(probe.lines()).toEqual([])
    }
  })

  test('no nginx-rtmp: one line saying how to get live ingest', async () => {
    const probe = options({ nginx: '/nonexistent/nginx' })
    expect(await embeddedIngest(always, probe.options)).toBeUndefined()
    expect(probe.lines().map((line) => line.msg)).toEqual([INGEST_HINT])
    expect(INGEST_HINT).toContain('apt-get install nginx libnginx-mod-rtmp ffmpeg')
    expect(INGEST_HINT).toContain('docker compose')
  })

  test.skipIf(!tools)('the RTMP port asked for when free, another when taken; stopped, it listens no more', async () => {
    const taken = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
    try {
      const probe = options({ rtmpPort: taken.port })
      const ingest = (await embeddedIngest(always, probe.options))!
      const port = Number(new URL(ingest.rtmpUrl).port)
      expect(port).not.toBe(taken.port)
      expect(await accepts(port)).toBe(true)
      expect(probe.lines().at(-1)?.msg).toContain(`Server ${ingest.rtmpUrl}, stream key: GET /api/streams/key`)
      await ingest.stop()
      expect(await accepts(port)).toBe(false)
      // Stopped by the app, it is not reported as having died.
      await Bun.sleep(50)
      expect(probe.lines().filter((line) => line.level >= 40)).toEqual([])

      const free = taken.port
      taken.stop(true)
      const again = (await embeddedIngest(always, options({ rtmpPort: free }).options))!
      expect(again.rtmpUrl).toBe(`rtmp://127.0.0.1:${free}/ingest`)
      await again.stop()
    } finally {
      taken.stop(true)
    }
  })

  test.skipIf(!tools)('nginx-rtmp dying under the app is a warning', async () => {
    const probe = options({ rtmpPort: freePort() })
    const ingest = (await embeddedIngest(always, probe.options))!
    await ingest.kill()
    await Bun.sleep(50)
    expect(probe.lines().filter((line) => line.level === 40).map((line) => line.msg)).toEqual([expect.stringContaining('nginx-rtmp exited')])
    await ingest.stop()
  })

  test.skipIf(!tools)('Ctrl+C reaching nginx-rtmp with the app (one process group) is no warning', async () => {
    const probe = options({ rtmpPort: freePort() })
    const ingest = (await embeddedIngest(always, probe.options))!
    process.kill(ingest.pid, 'SIGINT')
    expect(await ingest.exited).toBe(0)
    await Bun.sleep(50)
    expect(probe.lines().filter((line) => line.level >= 40)).toEqual([])
    await ingest.stop()
  })
})
