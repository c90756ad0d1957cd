import { resolve } from 'node:path'
import { streamsEvents } from '../../contracts/streams.ts'
import { createRouter } from '../../platform/http/router.ts'
import { defineModule } from '../../platform/module.ts'
import { broadcasterLogins, broadcasterProjection } from './broadcasters.ts'
import { createAudience } from './audience.ts'
import { createCategories } from './categories.ts'
import { categoryRoutes } from './categories.routes.ts'
import { createClips } from './clips.ts'
import { clipRoutes } from './clips.routes.ts'
import { createChannels } from './channels.ts'
import { channelRoutes } from './channels.routes.ts'
import { createDirectory, snapshotDirectory } from './directory.ts'
import { embeddedIngest } from './embedded-ingest.ts'
import { loadStreamsSecrets, streamsSettings } from './environment.ts'
import { STREAMS_PROBLEMS } from './errors.ts'
import { heartbeatRoutes } from './heartbeats.routes.ts'
import { ingestMetrics } from './ingest-metrics.ts'
import { ingestRoutes } from './ingest.routes.ts'
import { mediaMtxApi } from './mediamtx-api.ts'
import { mediaMtxRoutes } from './mediamtx.routes.ts'
import { createMedia } from './media.ts'
import { createLiveSessions } from './live-sessions.ts'
import type { NginxRtmp } from './nginx-rtmp.ts'
import { createRaids } from './raids.ts'
import { raidRoutes } from './raids.routes.ts'
import type { Cut } from './channels.routes.ts'
import { rtmpControlCut } from './rtmp-control.ts'
import { createStreamKeys } from './stream-keys.ts'
import { suspendedAt } from './suspensions.ts'
import { streamRoutes } from './streams.routes.ts'
import { createThumbnails } from './thumbnails.ts'
import { videoRoutes } from './videos.routes.ts'
import { createMemoryViewers, createRedisViewers } from './viewers.ts'
import { createVods } from './vods.ts'

/** How soon a session a suspension ended is cut at the media server (its next update, answered 404, would anyway). */
const OWED_CUTS_MS = 500

/** Channels, stream keys, live sessions from the media server's callbacks, the directory, viewers, categories, VODs, clips and raids. */
export const streams = defineModule({
  name: 'streams',
  prefixes: ['/api/streams', '/api/channels', '/api/games', '/api/search', '/api/videos', '/api/clips', '/api/raids', '/api/ingest'],
  migrations: resolve(import.meta.dir, '../../../migrations/streams'),
  produces: streamsEvents,
  consumes: broadcasterProjection,
  problems: STREAMS_PROBLEMS,
  settings: streamsSettings,
  create({ settings, platform, database, redis, rateLimiter, verifyAccessToken, authenticated, log, metrics, clock }) {
    const secrets = loadStreamsSecrets(settings, platform.tokens)
    const keys = createStreamKeys(database, secrets.keySecret)
    const mediamtx = settings.STREAMS_MEDIAMTX_API_URL === undefined ? undefined : mediaMtxApi(settings.STREAMS_MEDIAMTX_API_URL)
    // How often a session's liveness is checked: a few times within its timeout.
    const staleCheckMs = Math.min(5000, settings.STREAMS_UPDATE_TIMEOUT_SECONDS * 250)
    // MediaMTX's sessions are kept up to date, and so can go stale, when its API is polled.
    const suspended = suspendedAt(clock)
    const sessions = createLiveSessions(database, settings.STREAMS_UPDATE_TIMEOUT_SECONDS, mediamtx ? ['nginx-rtmp', 'mediamtx'] : ['nginx-rtmp'], suspended)
    const directory = createDirectory(database)
    // `bun start`'s own nginx-rtmp, once `start` has started it.
    let ingest: NginxRtmp | undefined
    const cutAtRtmp = rtmpControlCut(() => ingest?.controlUrl ?? settings.STREAMS_RTMP_CONTROL_URL)
    const cut: Cut = async (session) => (session.server === 'mediamtx' ? mediamtx?.kick(session) : cutAtRtmp(session))
    const loginOf = broadcasterLogins(database)
    const viewers = redis ? createRedisViewers(redis, settings.STREAMS_REDIS_PREFIX) : createMemoryViewers()
    const audience = createAudience(database, viewers)
    const media = createMedia({ ffmpeg: settings.STREAMS_FFMPEG, ffprobe: settings.STREAMS_FFPROBE })
    const thumbnails = createThumbnails(database, media, { hlsDir: settings.STREAMS_HLS_DIR, mediaDir: settings.STREAMS_MEDIA_DIR })
    const raids = createRaids(database, settings.STREAMS_RAID_COUNTDOWN_SECONDS)
    const clips = createClips(database, media, { hlsDir: settings.STREAMS_HLS_DIR, mediaDir: settings.STREAMS_MEDIA_DIR })
    const vods = createVods(
      database,
      media,
      { recordingsDir: settings.STREAMS_RECORDINGS_DIR, mediaDir: settings.STREAMS_MEDIA_DIR },
      settings.STREAMS_RECORDING_SETTLED_SECONDS * 1000,
    )
    const heartbeats = heartbeatRoutes(
      { database, viewers, rateLimiter, verifyAccessToken },
      { trustProxy: platform.trustProxy, perMinute: settings.STREAMS_HEARTBEATS_PER_MINUTE },
      authenticated,
    )
    const routes = createRouter()
    routes.use('/api/ingest/*', ingestMetrics(metrics.registry, 'streams'))
    routes
      .route('/', channelRoutes(database, { channels: createChannels(database), keys, sessions, cut }, authenticated))
      .route('/', streamRoutes(directory, thumbnails, authenticated))
      .route('/', heartbeats.routes)
      .route('/', categoryRoutes(createCategories(database), authenticated))
      .route('/', videoRoutes(vods, authenticated))
      .route('/', clipRoutes(clips, authenticated))
      .route('/', raidRoutes(raids, authenticated))
      .route('/', ingestRoutes({ sessions, keys, vods }, secrets.ingestSecret, authenticated))
      .route('/', mediaMtxRoutes({ sessions, keys, loginOf, suspended: (id) => suspended(database.sql, id) }, secrets.ingestSecret, authenticated))
    return {
      routes,
      nativeRoutes: [heartbeats.native],
      start: async () => {
        ingest = await embeddedIngest(
          {
            companions: platform.companions,
            mode: settings.STREAMS_EMBEDDED_INGEST,
            externalServer: settings.STREAMS_RTMP_CONTROL_URL !== undefined || mediamtx !== undefined,
          },
          {
            nginx: settings.STREAMS_NGINX,
            app: platform.http,
            secret: secrets.ingestSecret,
            rtmpPort: settings.STREAMS_RTMP_PORT,
            hlsDir: settings.STREAMS_HLS_DIR,
            recordingsDir: settings.STREAMS_RECORDINGS_DIR,
            updateTimeoutSeconds: settings.STREAMS_UPDATE_TIMEOUT_SECONDS,
            log,
          },
        )
      },
      stop: async () => void (await ingest?.stop()),
      jobs: [
        {
          // A media server that died sends no on_publish_done: its sessions end when their updates stop.
          name: 'stale-sessions',
          everyMs: staleCheckMs,
          singleton: true,
          run: async () => {
            const ended = await sessions.expire()
            if (ended.length > 0) log.info({ streams: ended.map((s) => s.streamId) }, 'live sessions ended: no update from the media server')
          },
        },
        {
          // A suspension ends the live session in its event's transaction; the media server is told here.
          name: 'owed-cuts',
          everyMs: OWED_CUTS_MS,
          singleton: true,
          run: async () => {
            const owed = await sessions.takeOwedCuts()
            await Promise.all(owed.map((session) => cut(session).catch((error: unknown) => log.warn({ err: error, stream: session.streamId }, 'could not cut the stream at the media server'))))
          },
        },
        ...(mediamtx
          ? [
              {
                // MediaMTX sends no updates of its own: what its API lists as published stays live.
                name: 'mediamtx-sessions',
                everyMs: staleCheckMs,
                singleton: true,
                run: async () => sessions.touchCarried('mediamtx', await mediamtx.carried()),
              },
            ]
          : []),
        {
          name: 'directory-snapshot',
          everyMs: 1000,
          singleton: true,
          run: async () => {
            await snapshotDirectory(database.sql)
            await directory.prune()
          },
        },
        // Without Redis each process counts its own heartbeats: one process is the only sound setup then.
        { name: 'viewer-counts', everyMs: settings.STREAMS_VIEWER_REFRESH_MS, singleton: true, run: () => audience.refreshCounts() },
        {
          name: 'vod-remux',
          everyMs: 1000,
          singleton: true,
          run: async ({ signal }) => {
            await vods.adoptUnannounced()
            // Until none waits; a failure waits for the next run (a second), so its retries are spread out.
            while (!signal.aborted && (await vods.remuxNext(signal)) === 'ready');
          },
        },
        {
          name: 'clip-cut',
          everyMs: 1000,
          singleton: true,
          run: async ({ signal }) => {
            while (!signal.aborted && (await clips.cutNext(signal)) === 'ready');
          },
        },
        { name: 'thumbnails', everyMs: settings.STREAMS_THUMBNAIL_INTERVAL_MS, singleton: true, run: async () => void (await thumbnails.capture()) },
        { name: 'raids', everyMs: 1000, singleton: true, run: async () => void (await raids.completeDue()) },
        { name: 'viewer-minutes', everyMs: 15_000, singleton: true, run: async () => void (await audience.publishMinutes()) },
      ],
    }
  },
})
