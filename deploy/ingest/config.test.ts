import { describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { INGEST_TEMPLATE_PATH, renderIngestConfig } from '../../src/modules/streams/ingest-config.ts'
import { testIngestTools } from './test-ingest.ts'

const tools = testIngestTools('nginx -t on the rendered nginx-rtmp.conf')
const fieldsOf = (text: string) => [...new Set([...text.matchAll(/\{\{([A-Z_]+)\}\}/g)].map((m) => m[1]!))].sort()

describe('the streams module\'s nginx-rtmp.conf', () => {
  test('the container entrypoint renders every field of the template', () => {
    const entrypoint = readFileSync(join(import.meta.dir, 'entrypoint.sh'), 'utf8')
    expect(fieldsOf(entrypoint)).toEqual(fieldsOf(readFileSync(INGEST_TEMPLATE_PATH, 'utf8')))
  })

  test.skipIf(!tools).each([
    ['on loopback (tests, the embedded default)', true],
    ['in a container', false],
  ])('nginx accepts it rendered %s', async (_, loopback) => {
    const prefix = mkdtempSync(join(tmpdir(), 'ondes-ingest-conf-'))
    try {
      for (const dir of ['hls', 'recordings']) mkdirSync(join(prefix, dir))
      const config = renderIngestConfig({
        callbackUrl: 'http://127.0.0.1:3000/',
        secret: 'a'.repeat(43),
        rtmpPort: 19350,
        httpPort: 18088,
        loopback,
        prefix,
        hlsPath: join(prefix, 'hls'),
        recordPath: join(prefix, 'recordings'),
        updateInterval: '30s',
      })
      expect(config).not.toContain('{{')
      expect(config).toContain('on_publish http://127.0.0.1:3000/api/ingest/rtmp/')
      writeFileSync(join(prefix, 'nginx.conf'), config)
      const check = Bun.spawnSync([tools!.nginx, '-t', '-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'error.log')])
      expect(check.stderr.toString()).toContain('test is successful')
    } finally {
      rmSync(prefix, { recursive: true, force: true })
    }
  })
})
