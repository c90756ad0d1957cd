/**
 * The app for the streams figures: `bun src/main.ts` (every module, as fixture.ts starts it)
 * on a redis-server of the bench's own (viewers, rate limits and events in it; nothing shared
 * is touched, and it goes with the run), its streams database seeded in SQL with 10 000
 * channels of which 1 000 are live, and a media directory nginx-rtmp may share with it.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { startPrivateRedis, type PrivateRedis } from '../src/platform/testing/private-redis.ts'
import { startOndesApp, type OndesApp } from './fixture.ts'
import { log } from './lib.ts'

export const SEED_CHANNELS = 10_000
/** Every tenth channel is live: broadcaster ids FIRST_CHANNEL + 10, + 20, … + 10 000. */
export const SEED_LIVE = 1_000
/** Seeded broadcasters' ids, past any user's the users database could hand out in a run. */
export const FIRST_CHANNEL = 1_000_000
export const INGEST_SECRET = 'bench-ingest-secret-0123456789abcdefghij'

export type StreamsApp = {
  app: OndesApp
  redis: PrivateRedis
  streamsUrl: string
  /** The live streams' ids (1 … SEED_LIVE, the seed's identity order). */
  liveIds: { first: number; last: number }
  /** Where the app reads recordings and HLS from: nginx-rtmp is pointed at the same directories. */
  mediaDir: string
  stop: () => Promise<void>
}

/** 10 000 broadcasters with channels (50 categories, tags, titles), 1 000 of them live with viewer counts. */
async function seedChannels(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  try {
    await sql`insert into categories (name) select 'Game ' || i from generate_series(1, 50) as i`
    await sql`
      insert into broadcasters (user_id, login, display_name, profile_version)
      select ${FIRST_CHANNEL} + i, 'channel' || lpad(i::text, 5, '0'), 'Channel ' || i, 1 from generate_series(1, ${SEED_CHANNELS}) as i`
    await sql`
      insert into channels (broadcaster_id, title, game_id, tags, broadcaster_language)
      select ${FIRST_CHANNEL} + i, 'Seeded by bench/ for GET /api/streams, channel ' || i, (select min(id) from categories) + i % 50,
             array['bench', 'English'], case when i % 7 = 0 then 'de' else 'en' end
      from generate_series(1, ${SEED_CHANNELS}) as i`
    await sql`
      insert into streams (broadcaster_id, key_hash, client_id, viewer_count)
      select ${FIRST_CHANNEL} + i * 10, 'seeded', 'seeded-' || i, (random() * 5000)::int from generate_series(1, ${SEED_LIVE}) as i`
    await sql`vacuum analyze`
  } finally {
    await sql.end()
  }
}

export async function startStreamsApp(): Promise<StreamsApp> {
  const redis = await startPrivateRedis()
  const mediaDir = mkdtempSync(join(tmpdir(), 'ondes-bench-media-'))
  let app: OndesApp | undefined
  try {
    app = await startOndesApp({
      users: false,
      env: {
        REDIS_URL: redis.url,
        // The bench's own redis-server: the default key prefixes collide with nothing.
        // Heartbeats from one address (wrk's) far beyond what a bench sends in a minute.
        STREAMS_HEARTBEATS_PER_MINUTE: '1000000',
        // Seeded sessions get no media-server updates: they stay live for the run.
        STREAMS_UPDATE_TIMEOUT_SECONDS: '3600',
        STREAMS_INGEST_SECRET: INGEST_SECRET,
        STREAMS_RECORDINGS_DIR: join(mediaDir, 'recordings'),
        STREAMS_HLS_DIR: join(mediaDir, 'hls'),
        STREAMS_MEDIA_DIR: join(mediaDir, 'media'),
      },
    })
    const streamsUrl = app.databaseUrls.streams
    if (!streamsUrl) throw new Error('the build has no streams module')
    log(`seeding ${SEED_CHANNELS} channels, ${SEED_LIVE} live`)
    await seedChannels(streamsUrl)
    const sql = postgres(streamsUrl, { max: 1, onnotice: () => {} })
    try {
      // The directory-snapshot job (every second) freezes the seeded order for the listing.
      const deadline = Date.now() + 30_000
      while ((await sql`select 1 from directory_snapshots where cardinality(stream_ids) = ${SEED_LIVE}`).length === 0) {
        if (Date.now() > deadline) throw new Error('no directory snapshot of the seeded streams within 30 s')
        await Bun.sleep(100)
      }
    } finally {
      await sql.end()
    }
    const started = app
    return {
      app: started,
      redis,
      streamsUrl,
      liveIds: { first: 1, last: SEED_LIVE },
      mediaDir,
      stop: async () => {
        await started.stop()
        await redis.stop()
        rmSync(mediaDir, { recursive: true, force: true })
      },
    }
  } catch (error) {
    await app?.stop()
    await redis.stop()
    rmSync(mediaDir, { recursive: true, force: true })
    throw error
  }
}
