/**
 * Debian's nginx with the rtmp module, and ffmpeg, for the ingest tests: a rendered
 * nginx-rtmp.conf on free loopback ports under a temporary prefix, and test-pattern pushes.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../../src/platform/testing/processes.ts'
import { testNginx } from '../test-nginx.ts'
import { renderIngestConfig } from './config.ts'

export const RTMP_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so'

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

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
  } catch {
    return []
  }
}

export type RunningIngest = {
  rtmpUrl: string
  httpUrl: string
  hlsPath: string
  recordPath: string
  prefix: string
  /** SIGKILL: the media server dies without a word to Ondes. */
  kill: () => Promise<void>
  stop: () => Promise<void>
}

/** Starts nginx-rtmp calling back `callbackUrl`; resolves once its HTTP side answers. */
export async function startIngest(
  nginx: string,
  options: { callbackUrl: string; secret: string; updateInterval: string; httpPort?: number; hlsPath?: string; recordPath?: string },
): Promise<RunningIngest> {
  const prefix = mkdtempSync(join(tmpdir(), 'ondes-ingest-'))
  const hlsPath = options.hlsPath ?? join(prefix, 'hls')
  const recordPath = options.recordPath ?? join(prefix, 'recordings')
  mkdirSync(hlsPath, { recursive: true })
  mkdirSync(recordPath, { recursive: true })
  const rtmpPort = freePort()
  const httpPort = options.httpPort ?? freePort()
  const config = renderIngestConfig({ ...options, rtmpPort, httpPort, loopback: true, prefix, hlsPath, recordPath })
  // Workers must reach the 0700 temporary prefix: as root, they run as root too.
  const conf = (process.getuid?.() === 0 ? 'user root;\n' : '') + config
  await Bun.write(join(prefix, 'nginx.conf'), conf)
  const proc = Bun.spawn([nginx, '-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'error.log'), '-g', 'daemon off;'], {
    stdout: 'ignore',
    stderr: 'ignore',
  })
  const httpUrl = `http://127.0.0.1:${httpPort}`
  const stopped = async (signal: 'SIGTERM' | 'SIGKILL') => {
    // Workers of a SIGKILLed master are orphans holding the ports: they are killed too, by pid.
    const workers = signal === 'SIGKILL' ? childrenOf(proc.pid) : []
    proc.kill(signal)
    for (const pid of workers) process.kill(pid, 'SIGKILL')
    await proc.exited
  }
  const deadline = Date.now() + 10_000
  while (!(await fetch(`${httpUrl}/hls/`).then((r) => r.status < 500, () => false))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      const log = await Bun.file(join(prefix, 'error.log')).text().catch(() => '')
      await stopped('SIGKILL')
      throw new Error(`nginx-rtmp did not start (exit ${proc.exitCode}):\n${log}`)
    }
    await Bun.sleep(50)
  }
  return {
    rtmpUrl: `rtmp://127.0.0.1:${rtmpPort}/ingest`,
    httpUrl,
    hlsPath,
    recordPath,
    prefix,
    kill: () => stopped('SIGKILL'),
    stop: async () => {
      if (proc.exitCode === null) await stopped('SIGTERM')
      rmSync(prefix, { recursive: true, force: true })
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
