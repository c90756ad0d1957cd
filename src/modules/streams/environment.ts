import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { z } from 'zod'
import type { PlatformSettings } from '../../platform/module.ts'

const wholeNumber = (what: string, min: number, max: number) => {
  const expected = `${what}, ${min} to ${max}`
  return z.coerce.number({ error: expected }).int(expected).min(min, expected).max(max, expected)
}
const secret = z.string().min(32, 'at least 32 characters').regex(/^[\x21-\x7e]+$/, 'printable ASCII, no spaces').optional()

/** The streams module's own environment variables. */
export const streamsSettings = z.object({
  /** Derives stream keys (an HMAC of each key's random nonce); unset: generated once (STREAMS_SECRETS_DIR). */
  STREAMS_KEY_SECRET: secret,
  /** In the media server's callback URLs (it cannot send headers); unset: generated once (STREAMS_SECRETS_DIR). */
  STREAMS_INGEST_SECRET: secret.refine((value) => value === undefined || /^[A-Za-z0-9_-]+$/.test(value), 'letters, digits, _ and - (it goes in a URL path)'),
  /** Where the two secrets above are generated when unset (`streams-secrets.json`); the data directory's `keys` by default. */
  STREAMS_SECRETS_DIR: z.string().min(1).optional(),
  /** A live session with no update from its media server for this long goes offline (nginx-rtmp updates every 30 s). */
  STREAMS_UPDATE_TIMEOUT_SECONDS: wholeNumber('seconds', 1, 3600).default(60),
  /**
   * nginx-rtmp's `rtmp_control` location (`http://127.0.0.1:8088/control`), to cut a stream whose
   * key is reset. Set, it names a media server of your own: no embedded ingest is started.
   */
  STREAMS_RTMP_CONTROL_URL: z.url({ protocol: /^https?$/ }).optional(),
  /**
   * MediaMTX's API (its `apiAddress`, `http://127.0.0.1:9997`): a publisher whose key is reset is
   * kicked through it, and it is asked every few seconds which sessions MediaMTX still carries,
   * so those it no longer does end after STREAMS_UPDATE_TIMEOUT_SECONDS (MediaMTX died). Set, it
   * names a media server of your own: no embedded ingest is started.
   */
  STREAMS_MEDIAMTX_API_URL: z.url({ protocol: /^https?$/ }).optional(),
  /**
   * `bun start` runs nginx-rtmp as a child process when nginx and libnginx-mod-rtmp are
   * installed (`auto`), or never (`off`).
   */
  STREAMS_EMBEDDED_INGEST: z.enum(['auto', 'off'], { error: 'auto or off' }).default('auto'),
  /** The embedded ingest's nginx: a name on PATH (or in /usr/sbin), or a path. */
  STREAMS_NGINX: z.string().min(1).default('nginx'),
  /** The embedded ingest's RTMP port, on loopback; another free one when it is taken. */
  STREAMS_RTMP_PORT: wholeNumber('a port', 1, 65535).default(1935),
  /** Heartbeats one address may send each minute (a player sends two; many viewers may share an address). */
  STREAMS_HEARTBEATS_PER_MINUTE: wholeNumber('heartbeats', 1, 1_000_000).default(600),
  /** How often viewer counts reach the directory. */
  STREAMS_VIEWER_REFRESH_MS: wholeNumber('milliseconds', 100, 60_000).default(5000),
  /** Redis key prefix of the viewer sets (with REDIS_URL). */
  STREAMS_REDIS_PREFIX: z.string().min(1).max(100).default('ondes:streams'),
  /** Where the media server writes HLS (its `hls_path`, shared with this process): live clips are cut from it. */
  STREAMS_HLS_DIR: z.string().min(1).default('.data/hls'),
  /** Where the media server writes recordings (its `record_path`, shared with this process). */
  STREAMS_RECORDINGS_DIR: z.string().min(1).default('.data/recordings'),
  /** A recording untouched this long is taken as finished even if its on_record_done was lost (the app was down). */
  STREAMS_RECORDING_SETTLED_SECONDS: wholeNumber('seconds', 1, 3600).default(30),
  /** Where VOD and clip MP4s are written and served from. */
  STREAMS_MEDIA_DIR: z.string().min(1).default('.data/media'),
  /** ffmpeg and ffprobe, for remuxing recordings into VODs. */
  STREAMS_FFMPEG: z.string().min(1).default('ffmpeg'),
  STREAMS_FFPROBE: z.string().min(1).default('ffprobe'),
  /** How often a still of every live stream is taken for its thumbnail. */
  STREAMS_THUMBNAIL_INTERVAL_MS: wholeNumber('milliseconds', 200, 3_600_000).default(180_000),
  /** A raid's countdown, during which it can be canceled (Twitch: about 90 s). */
  STREAMS_RAID_COUNTDOWN_SECONDS: wholeNumber('seconds', 0, 600).default(90),
})
export type StreamsSettings = z.infer<typeof streamsSettings>

type Secrets = { keySecret: string; ingestSecret: string }

/**
 * The two secrets: configured, or generated on the first start and read back after (`wx`, so
 * processes starting together agree) from STREAMS_SECRETS_DIR — by default the embedded
 * default's keys directory, which compose shares between containers (the ingest container
 * reads the callback secret there).
 */
export function loadStreamsSecrets(settings: StreamsSettings, tokens: PlatformSettings['tokens']): Secrets {
  const configured = { keySecret: settings.STREAMS_KEY_SECRET, ingestSecret: settings.STREAMS_INGEST_SECRET }
  if (configured.keySecret && configured.ingestSecret) return configured as Secrets
  const dir = settings.STREAMS_SECRETS_DIR ?? resolve(tokens.generatedKeysIn ?? '.data', 'keys')
  const generated = generatedSecrets(dir)
  return { keySecret: configured.keySecret ?? generated.keySecret, ingestSecret: configured.ingestSecret ?? generated.ingestSecret }
}

function generatedSecrets(dir: string): Secrets {
  const path = resolve(dir, 'streams-secrets.json')
  const read = () => z.object({ keySecret: z.string(), ingestSecret: z.string() }).parse(JSON.parse(readFileSync(path, 'utf8')))
  try {
    return read()
  } catch {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const secrets = { keySecret: randomBytes(32).toString('base64url'), ingestSecret: randomBytes(32).toString('base64url') }
    try {
      writeFileSync(path, JSON.stringify(secrets), { flag: 'wx', mode: 0o600 })
      return secrets
    } catch {
      // Another process is writing it: its few bytes land within moments.
      Bun.sleepSync(50)
      return read()
    }
  }
}
