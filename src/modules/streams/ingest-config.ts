/**
 * Renders nginx-rtmp.conf (beside this file): where Ondes answers the callbacks, the shared
 * secret, ports and directories. One config for the embedded ingest, the tests and compose's
 * ingest service (whose entrypoint.sh fills the same fields).
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'

export const INGEST_TEMPLATE_PATH = resolve(import.meta.dir, 'nginx-rtmp.conf')
/** Where Debian's libnginx-mod-rtmp puts the module the template loads. */
export const RTMP_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so'

export type IngestConfig = {
  /** Ondes's origin as nginx reaches it, e.g. `http://127.0.0.1:3000`. */
  callbackUrl: string
  /** STREAMS_INGEST_SECRET. */
  secret: string
  rtmpPort: number
  /** The HTTP listener (HLS under /hls/, rtmp_control under /control). */
  httpPort: number
  /** Listen on loopback only (tests, the embedded default) or on every address (a container). */
  loopback: boolean
  /** nginx's prefix: pid, error log, temporary files. */
  prefix: string
  hlsPath: string
  recordPath: string
  /** nginx-rtmp's on_update interval, e.g. `30s`. */
  updateInterval: string
}

/**
 * The config text for `options`. Started as root, nginx's workers would drop to `nobody` and
 * could not write HLS into the caller's directories: they keep root's user then.
 * @example
 * writeFileSync(join(dir, 'nginx.conf'), renderIngestConfig({ callbackUrl: 'http://127.0.0.1:3000', secret, rtmpPort: 1935, … }))
 */
export function renderIngestConfig(options: IngestConfig): string {
  const host = options.loopback ? '127.0.0.1:' : ''
  const fields: Record<string, string> = {
    PREFIX: options.prefix,
    RTMP_LISTEN: `${host}${options.rtmpPort}`,
    RTMP_PORT: String(options.rtmpPort),
    HTTP_LISTEN: `${host}${options.httpPort}`,
    CALLBACK_URL: options.callbackUrl.replace(/\/$/, ''),
    SECRET: options.secret,
    UPDATE_INTERVAL: options.updateInterval,
    HLS_PATH: options.hlsPath,
    RECORD_PATH: options.recordPath,
    CONTROL_ALLOW: options.loopback ? '127.0.0.1' : 'all',
  }
  const config = readFileSync(INGEST_TEMPLATE_PATH, 'utf8').replace(/\{\{([A-Z_]+)\}\}/g, (_, name: string) => {
    const value = fields[name]
    if (value === undefined) throw new Error(`nginx-rtmp.conf: no value for {{${name}}}`)
    return value
  })
  return (process.getuid?.() === 0 ? 'user root;\n' : '') + config
}
