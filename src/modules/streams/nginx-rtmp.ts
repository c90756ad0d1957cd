import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { renderIngestConfig, type IngestConfig } from './ingest-config.ts'

/** A running nginx-rtmp on loopback, from the rendered nginx-rtmp.conf. */
export type NginxRtmp = {
  /** The `ingest` application OBS publishes to: `rtmp://127.0.0.1:<port>/ingest`. */
  rtmpUrl: string
  /** Its HTTP side: HLS under `/hls/`, `rtmp_control` under `/control`. */
  httpUrl: string
  controlUrl: string
  hlsPath: string
  recordPath: string
  /** Its own temporary prefix: the pid file, `error.log`, nginx's temporary files. */
  prefix: string
  /** nginx's master process. */
  pid: number
  /** Resolves with nginx's exit code (128 + the signal's number when a signal killed it), whenever it exits. */
  exited: Promise<number>
  /** SIGKILL: the media server dies without a word to Ondes. */
  kill: () => Promise<void>
  /** SIGTERM, then its prefix removed; idempotent. */
  stop: () => Promise<void>
}

export type NginxRtmpOptions = Omit<IngestConfig, 'prefix' | 'loopback'>

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
  } catch {
    return []
  }
}

/**
 * Starts `nginx` (Debian's, with libnginx-mod-rtmp) in the foreground under a fresh temporary
 * prefix, listening on loopback; resolves once its HTTP side answers, rejects with its error
 * log when it exits first (a port taken) or does not answer within 10 s.
 *
 * @example
 * const ingest = await startNginxRtmp('/usr/sbin/nginx', { callbackUrl: 'http://127.0.0.1:3000', secret, rtmpPort: 1935, httpPort: 8088, hlsPath, recordPath, updateInterval: '30s' })
 * await ingest.stop()
 */
export async function startNginxRtmp(nginx: string, options: NginxRtmpOptions): Promise<NginxRtmp> {
  const prefix = mkdtempSync(join(tmpdir(), 'ondes-ingest-'))
  mkdirSync(options.hlsPath, { recursive: true })
  mkdirSync(options.recordPath, { recursive: true })
  const conf = join(prefix, 'nginx.conf')
  const errorLog = join(prefix, 'error.log')
  await Bun.write(conf, renderIngestConfig({ ...options, loopback: true, prefix }))
  // With util-linux's setpriv (Debian's essential), nginx gets SIGTERM when this process dies,
  // even by SIGKILL: no orphan keeps the RTMP port and calls a dead app back.
  const setpriv = Bun.which('setpriv')
  const orphanless = setpriv ? [setpriv, '--pdeathsig', 'TERM', '--'] : []
  const proc = Bun.spawn([...orphanless, nginx, '-p', prefix, '-c', conf, '-e', errorLog, '-g', 'daemon off;'], {
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'ignore',
  })
  const httpUrl = `http://127.0.0.1:${options.httpPort}`
  const signalled = async (signal: 'SIGTERM' | 'SIGKILL') => {
    // Workers of a SIGKILLed master are orphans holding the ports: they are killed too, by pid.
    const workers = signal === 'SIGKILL' ? childrenOf(proc.pid) : []
    proc.kill(signal)
    for (const pid of workers) process.kill(pid, 'SIGKILL')
    await proc.exited
  }
  const deadline = Date.now() + 10_000
  while (!(await fetch(`${httpUrl}/hls/`, { keepalive: false }).then((r) => r.status < 500, () => false))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      const log = await Bun.file(errorLog).text().catch(() => '')
      if (proc.exitCode === null) await signalled('SIGKILL')
      rmSync(prefix, { recursive: true, force: true })
      throw new Error(`nginx-rtmp did not start (exit ${proc.exitCode}): ${log.trim()}`)
    }
    await Bun.sleep(25)
  }
  let stopping: Promise<void> | undefined
  return {
    rtmpUrl: `rtmp://127.0.0.1:${options.rtmpPort}/ingest`,
    httpUrl,
    controlUrl: `${httpUrl}/control`,
    hlsPath: options.hlsPath,
    recordPath: options.recordPath,
    prefix,
    pid: proc.pid,
    exited: proc.exited,
    kill: () => signalled('SIGKILL'),
    stop: () =>
      (stopping ??= (async () => {
        if (proc.exitCode === null) await signalled('SIGTERM')
        rmSync(prefix, { recursive: true, force: true })
      })()),
  }
}
