import { sql } from 'drizzle-orm'
import { bigint, boolean, check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow()
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
const userId = (name: string) => bigint(name, { mode: 'bigint' })

/**
 * The users projection: what listings show of a broadcaster, kept from the users events so no
 * listing calls the users module. `profile_version` is the users' profile version: an event
 * with a lower one is older than the row and is ignored.
 */
export const broadcasters = pgTable(
  'broadcasters',
  {
    userId: userId('user_id').primaryKey(),
    // Not unique: renames arrive as events, so two users may briefly hold one login here.
    login: text('login').notNull(),
    displayName: text('display_name').notNull(),
    profileImageUrl: text('profile_image_url').notNull().default(''),
    offlineImageUrl: text('offline_image_url').notNull().default(''),
    profileVersion: integer('profile_version').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('broadcasters_login_idx').on(t.login)],
)

/** Games and other categories a channel streams under (Helix "games"). */
export const categories = pgTable(
  'categories',
  {
    id: bigint('id', { mode: 'bigint' }).primaryKey().generatedAlwaysAsIdentity(),
    name: text('name').notNull(),
    boxArtUrl: text('box_art_url').notNull().default(''),
    igdbId: text('igdb_id').notNull().default(''),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('categories_name_key').on(sql`lower(${t.name})`)],
)

/** Every user's channel, made when they register; Helix "channel information". */
export const channels = pgTable(
  'channels',
  {
    broadcasterId: userId('broadcaster_id')
      .primaryKey()
      .references(() => broadcasters.userId, { onDelete: 'cascade' }),
    language: text('broadcaster_language').notNull().default('en'),
    gameId: bigint('game_id', { mode: 'bigint' }).references(() => categories.id, { onDelete: 'set null' }),
    title: text('title').notNull().default(''),
    delay: integer('delay').notNull().default(0),
    tags: text('tags').array().notNull().default(sql`'{}'`),
    contentClassificationLabels: text('content_classification_labels').array().notNull().default(sql`'{}'`),
    isBrandedContent: boolean('is_branded_content').notNull().default(false),
    // The version of `streams.channel_updated.v1`, bumped by the statement that changes the row.
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('channels_game_id_idx').on(t.gameId), check('channels_title_length', sql`char_length(${t.title}) <= 140`)],
)

/**
 * A channel's stream key, never stored: `nonce` is the random half of its derivation (the key
 * is an HMAC of it under STREAMS_KEY_SECRET, so the owner can read it again), `key_hash` the
 * SHA-256 a presented key is compared with in constant time.
 */
export const streamKeys = pgTable('stream_keys', {
  broadcasterId: userId('broadcaster_id')
    .primaryKey()
    .references(() => channels.broadcasterId, { onDelete: 'cascade' }),
  nonce: text('nonce').notNull(),
  keyHash: text('key_hash').notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
})

/**
 * Live sessions (Helix "streams"): one row per push, from the media server's publish to its
 * end. At most one is live per channel (the partial unique index), so a second publisher loses
 * the insert. `viewer_count` is written by the viewer job, for the directory's sort.
 */
export const streams = pgTable(
  'streams',
  {
    id: bigint('id', { mode: 'bigint' }).primaryKey().generatedAlwaysAsIdentity(),
    broadcasterId: userId('broadcaster_id')
      .notNull()
      .references(() => channels.broadcasterId, { onDelete: 'cascade' }),
    keyHash: text('key_hash').notNull(),
    // The media server's client id of the publishing connection (nginx-rtmp's `clientid`).
    clientId: text('client_id').notNull(),
    server: text('server').notNull().default('nginx-rtmp'),
    viewerCount: integer('viewer_count').notNull().default(0),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    lastUpdateAt: timestamp('last_update_at', { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    endReason: text('end_reason'),
    // The last minute whose viewer-minutes events went out: the job's idempotence, in the events' transaction.
    viewerMinutesThrough: timestamp('viewer_minutes_through', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('streams_broadcaster_id_idx').on(t.broadcasterId),
    uniqueIndex('streams_one_live_per_channel').on(t.broadcasterId).where(sql`${t.endedAt} is null`),
    index('streams_live_by_viewers_idx').on(t.viewerCount.desc(), t.id).where(sql`${t.endedAt} is null`),
  ],
)

/**
 * The directory's order, frozen: each row is the live sessions by viewer count at one moment
 * (written when that order changes). A listing pages through one snapshot, named in its cursor,
 * so counts changing between pages never show a stream twice or skip one.
 */
export const directorySnapshots = pgTable('directory_snapshots', {
  generation: bigint('generation', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  streamIds: bigint('stream_ids', { mode: 'bigint' }).array().notNull(),
  takenAt: timestamp('taken_at', { withTimezone: true }).notNull().defaultNow(),
})

/**
 * Recordings of live sessions (Helix "videos" of type archive): the media server's FLV, remuxed
 * to an MP4 by the remux job (`processing` → `ready`, or `failed` with a reason after retries).
 */
export const vods = pgTable(
  'vods',
  {
    id: bigint('id', { mode: 'bigint' }).primaryKey().generatedAlwaysAsIdentity(),
    streamId: bigint('stream_id', { mode: 'bigint' })
      .notNull()
      .references(() => streams.id, { onDelete: 'cascade' }),
    broadcasterId: userId('broadcaster_id')
      .notNull()
      .references(() => channels.broadcasterId, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    language: text('language').notNull(),
    // The recording's file name in STREAMS_RECORDINGS_DIR, and the MP4's in STREAMS_MEDIA_DIR once ready.
    recording: text('recording').notNull(),
    file: text('file'),
    status: text('status').notNull().default('processing'),
    attempts: integer('attempts').notNull().default(0),
    failure: text('failure'),
    durationSeconds: integer('duration_seconds'),
    viewCount: integer('view_count').notNull().default(0),
    publishedAt: timestamp('published_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('vods_recording_key').on(t.recording),
    index('vods_stream_id_idx').on(t.streamId),
    index('vods_broadcaster_id_idx').on(t.broadcasterId, t.id.desc()),
    index('vods_processing_idx').on(t.id).where(sql`${t.status} = 'processing'`),
    check('vods_status', sql`${t.status} in ('processing', 'ready', 'failed')`),
  ],
)

/**
 * Clips: `duration` seconds cut by ffmpeg from the live HLS output (the segments named in
 * `source` when it was asked for) or from a VOD ending at `vod_offset`; `processing` → `ready`
 * | `failed` with a reason after retries.
 */
export const clips = pgTable(
  'clips',
  {
    id: text('id').primaryKey(),
    broadcasterId: userId('broadcaster_id')
      .notNull()
      .references(() => channels.broadcasterId, { onDelete: 'cascade' }),
    creatorId: userId('creator_id').notNull(),
    streamId: bigint('stream_id', { mode: 'bigint' }).references(() => streams.id, { onDelete: 'set null' }),
    vodId: bigint('vod_id', { mode: 'bigint' }).references(() => vods.id, { onDelete: 'set null' }),
    vodOffset: integer('vod_offset'),
    title: text('title').notNull(),
    language: text('language').notNull(),
    gameId: text('game_id').notNull().default(''),
    duration: integer('duration').notNull(),
    // Live clips: the HLS segments (file names in the login's HLS directory) and where in them the clip starts.
    source: jsonb('source').$type<{ segments: string[]; startSeconds: number }>(),
    status: text('status').notNull().default('processing'),
    attempts: integer('attempts').notNull().default(0),
    failure: text('failure'),
    file: text('file'),
    viewCount: integer('view_count').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('clips_broadcaster_id_idx').on(t.broadcasterId, t.createdAt.desc()),
    index('clips_stream_id_idx').on(t.streamId),
    index('clips_vod_id_idx').on(t.vodId),
    index('clips_processing_idx').on(t.createdAt).where(sql`${t.status} = 'processing'`),
    check('clips_status', sql`${t.status} in ('processing', 'ready', 'failed')`),
    check('clips_duration', sql`${t.duration} between 5 and 60`),
  ],
)

/**
 * Raids: a live broadcaster sends their viewers to another live channel after a countdown
 * (`completes_at`), which they may cancel. At most one raid is pending per raiding channel.
 */
export const raids = pgTable(
  'raids',
  {
    id: bigint('id', { mode: 'bigint' }).primaryKey().generatedAlwaysAsIdentity(),
    fromBroadcasterId: userId('from_broadcaster_id')
      .notNull()
      .references(() => channels.broadcasterId, { onDelete: 'cascade' }),
    toBroadcasterId: userId('to_broadcaster_id')
      .notNull()
      .references(() => channels.broadcasterId, { onDelete: 'cascade' }),
    status: text('status').notNull().default('pending'),
    viewerCount: integer('viewer_count'),
    completesAt: timestamp('completes_at', { withTimezone: true }).notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('raids_from_broadcaster_id_idx').on(t.fromBroadcasterId),
    index('raids_to_broadcaster_id_idx').on(t.toBroadcasterId),
    uniqueIndex('raids_one_pending_per_channel').on(t.fromBroadcasterId).where(sql`${t.status} = 'pending'`),
    index('raids_due_idx').on(t.completesAt).where(sql`${t.status} = 'pending'`),
    check('raids_status', sql`${t.status} in ('pending', 'completed', 'canceled')`),
    check('raids_not_self', sql`${t.fromBroadcasterId} <> ${t.toBroadcasterId}`),
  ],
)

/**
 * Account suspensions, from the users events: a broadcaster suspended now (`ends_at` null or
 * ahead of the module's clock) cannot go live. A table of its own, referencing no broadcaster:
 * a suspension may arrive before the registration. `version` is the users' suspension version.
 */
export const suspensions = pgTable('suspensions', {
  userId: userId('user_id').primaryKey(),
  suspended: boolean('suspended').notNull(),
  endsAt: timestamp('ends_at', { withTimezone: true }),
  version: integer('version').notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
})

/**
 * Live sessions ended by an event (a suspension) that the media server may still carry: an
 * event handler cannot call the media server, so the cut job drops each and forgets it.
 */
export const mediaCuts = pgTable('media_cuts', {
  streamId: bigint('stream_id', { mode: 'bigint' })
    .primaryKey()
    .references(() => streams.id, { onDelete: 'cascade' }),
  createdAt: createdAt(),
})
