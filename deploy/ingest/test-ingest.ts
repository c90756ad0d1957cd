/**
 * Debian's nginx with the rtmp module, and ffmpeg, for the ingest tests: a rendered
 * nginx-rtmp.conf on free loopback ports under a temporary prefix, and test-pattern pushes.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../../src/platform/testing/processes.ts'
import { testNginx } from '../test-nginx.ts'
import { RTMP_MODULE } from '../../src/modules/streams/ingest-config.ts'
import { startNginxRtmp, type NginxRtmp } from '../../src/modules/streams/nginx-rtmp.ts'

/** nginx and ffmpeg, or undefined with a loud skip; REQUIRE_NGINX=1 / REQUIRE_FFMPEG=1 (CI) fail instead. */
export function testIngestTools(what: string): { nginx: string; ffmpeg: string; ffprobe: string } | undefined {
  const nginx = testNginx(what)
  const missing: string[] = []
  if (nginx && !existsSync(RTMP_MODULE)) missing.push('libnginx-mod-rtmp')
  const ffmpeg = Bun.which('ffmpeg')
  const ffprobe = Bun.which('ffprobe')
  if (!ffmpeg || !ffprobe) missing.push('ffmpeg')
  if (missing.length > 0) {
    const needed = missing.includes('ffmpeg') ? process.env.REQUIRE_FFMPEG === '1' : process.env.REQUIRE_NGINX === '1'
    if (needed) throw new Error(`${missing.join(' and ')} not installed (needed by: ${what})`)
    console.warn(`SKIPPED (apt-get install -y --no-install-recommends ${missing.join(' ')}): ${what}`)
    return undefined
  }
  if (!nginx) return undefined
  return { nginx, ffmpeg: ffmpeg!, ffprobe: ffprobe! }
}

export type RunningIngest = NginxRtmp

/** Starts nginx-rtmp calling back `callbackUrl` on free loopback ports; resolves once its HTTP side answers. */
export async function startIngest(
  nginx: string,
  options: { callbackUrl: string; secret: string; updateInterval: string; httpPort?: number; hlsPath?: string; recordPath?: string },
): Promise<RunningIngest> {
  // Without directories of the test's own, a temporary one of the ingest's, removed with it.
  const media = options.hlsPath && options.recordPath ? undefined : mkdtempSync(join(tmpdir(), 'ondes-ingest-media-'))
  const ingest = await startNginxRtmp(nginx, {
    ...options,
    rtmpPort: freePort(),
    httpPort: options.httpPort ?? freePort(),
    hlsPath: options.hlsPath ?? join(media!, 'hls'),
    recordPath: options.recordPath ?? join(media!, 'recordings'),
  })
  return {
    ...ingest,
    stop: async () => {
      await ingest.stop()
      if (media) rmSync(media, { recursive: true, force: true })
    },
  }
}

export type Push = { exited: Promise<number>; stderr: () => string; stop: () => Promise<void> }

/** ffmpeg pushing `seconds` of a test pattern with a tone, in real time, to `url`. */
export function pushTestPattern(ffmpeg: string, url: string, seconds: number): Push {
  const proc = Bun.spawn(
    [
      ffmpeg, '-hide_banner', '-loglevel', 'error', '-re',
      '-f', 'lavfi', '-i', `testsrc=size=320x240:rate=25:duration=${seconds}`,
      '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${seconds}`,
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '25', '-pix_fmt', 'yuv420p',
      '-c:a', 'aac', '-b:a', '64k', '-f', 'flv', url,
    ],
    { stdout: 'ignore', stderr: 'pipe' },
  )
  let text = ''
  const reading = (async () => {
    for await (const chunk of proc.stderr) text += new TextDecoder().decode(chunk)
  })()
  return {
    exited: proc.exited.then(async (code) => {
      await reading
      return code
    }),
    stderr: () => text,
    stop: async () => {
      proc.kill('SIGTERM')
      await proc.exited
    },
  }
}
