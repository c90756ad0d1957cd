import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Logger } from 'pino'
import { RTMP_MODULE } from './ingest-config.ts'
import { startNginxRtmp, type NginxRtmp } from './nginx-rtmp.ts'

/** What start-up says, in one line, when there is no nginx-rtmp to start. */
export const INGEST_HINT =
  'live ingest is off: nginx with the rtmp module is not installed here; apt-get install nginx libnginx-mod-rtmp ffmpeg and restart, or docker compose up -d (its ingest service)'

/**
 * The nginx binary, by name on PATH or by path, when Debian's rtmp module is installed too.
 * Debian installs nginx in /usr/sbin, which is not on a user's PATH: it is looked for there as well.
 */
function findNginxRtmp(nginx: string): string | undefined {
  const found = Bun.which(nginx, { PATH: `${process.env.PATH ?? ''}:/usr/sbin:/usr/local/sbin` })
  return found && existsSync(RTMP_MODULE) ? found : undefined
}

/** `preferred` when nothing listens on it on loopback, else one the kernel picks. */
function portFrom(preferred: number | undefined): number {
  if (preferred !== undefined) {
    try {
      Bun.listen({ hostname: '127.0.0.1', port: preferred, socket: { data() {} } }).stop(true)
      return preferred
    } catch {
      // Taken: any free one.
    }
  }
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const { port } = probe
  probe.stop(true)
  return port
}

export type EmbeddedIngestOptions = {
  /** STREAMS_NGINX: a name on PATH or a path. */
  nginx: string
  /** Where this process serves HTTP: nginx-rtmp's callbacks go there. */
  app: { host: string; port: number }
  secret: string
  /** The RTMP port asked for (1935); another free one when it is taken. */
  rtmpPort: number
  hlsDir: string
  recordingsDir: string
  /** STREAMS_UPDATE_TIMEOUT_SECONDS: nginx-rtmp updates a few times within it (every 30 s at most). */
  updateTimeoutSeconds: number
  log: Logger
}

// Between the check that a port is free and nginx binding it, another process may take it.
const ATTEMPTS = 3

/**
 * `bun start`'s ingest when this process may start one (`bun start`, STREAMS_EMBEDDED_INGEST
 * `auto`, no media server of its own configured) and nginx-rtmp is installed: nginx-rtmp as a
 * child process, on loopback, calling this process back, writing HLS and recordings where the
 * module reads them, and one line saying where OBS publishes; the caller stops it with the
 * module. Otherwise undefined, having said in one line how to get live ingest when that is what
 * is missing. A failed start is a warning: the app serves on without live ingest.
 *
 * @example
 * const ingest = await embeddedIngest({ companions: true, mode: 'auto', externalServer: false }, { nginx: 'nginx', app: { host: '0.0.0.0', port: 3000 }, secret, rtmpPort: 1935, hlsDir, recordingsDir, updateTimeoutSeconds: 90, log })
 * await ingest?.stop()
 */
export async function embeddedIngest(
  when: { companions: boolean; mode: 'auto' | 'off'; externalServer: boolean },
  options: EmbeddedIngestOptions,
): Promise<NginxRtmp | undefined> {
  if (!when.companions || when.mode === 'off' || when.externalServer) return undefined
  const nginx = findNginxRtmp(options.nginx)
  if (!nginx) {
    options.log.info(INGEST_HINT)
    return undefined
  }
  try {
    const ingest = await startEmbeddedIngest({ ...options, nginx })
    let stopping = false
    void ingest.exited.then((code) => {
      // Exit 0 is a shutdown it was asked for: Ctrl+C in a terminal signals the app and it alike.
      if (!stopping && code !== 0) options.log.warn({ code }, 'live ingest: nginx-rtmp exited; restart Ondes to start it again')
    })
    return {
      ...ingest,
      stop: () => {
        stopping = true
        return ingest.stop()
      },
    }
  } catch (error) {
    options.log.warn({ err: error }, `live ingest is off: nginx-rtmp did not start (${(error as Error).message.split('\n')[0]})`)
    return undefined
  }
}

/** Starts it on the ports asked for, or on free ones when another process took them meanwhile. */
async function startEmbeddedIngest(options: EmbeddedIngestOptions): Promise<NginxRtmp> {
  const { host, port } = options.app
  // A wildcard listener is reached on loopback; a named address as it is.
  const callbackHost = ['0.0.0.0', '::', '[::]'].includes(host) ? '127.0.0.1' : host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
  let failure: unknown
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    try {
      const ingest = await startNginxRtmp(options.nginx, {
        callbackUrl: `http://${callbackHost}:${port}`,
        secret: options.secret,
        rtmpPort: portFrom(attempt === 0 ? options.rtmpPort : undefined),
        httpPort: portFrom(attempt === 0 ? 8088 : undefined),
        hlsPath: resolve(options.hlsDir),
        recordPath: resolve(options.recordingsDir),
        updateInterval: `${Math.max(1, Math.min(30, Math.floor(options.updateTimeoutSeconds / 3)))}s`,
      })
      options.log.info(
        { rtmp: ingest.rtmpUrl, hls: `${ingest.httpUrl}/hls/` },
        `live ingest: nginx-rtmp started; OBS → Settings → Stream: Service "Custom…", Server ${ingest.rtmpUrl}, stream key: GET /api/streams/key?broadcaster_id=<your user id> (HLS at ${ingest.httpUrl}/hls/<login>/index.m3u8)`,
      )
      return ingest
    } catch (error) {
      failure = error
    }
  }
  throw failure
}
