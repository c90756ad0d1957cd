import { sql } from 'drizzle-orm'
import { bigint, boolean, check, customType, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow()
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
const userId = (name: string) => bigint(name, { mode: 'bigint' })

/**
 * The users projection (users.registered / profile_updated): who a login is, how they are shown,
 * and their chat colour (`/color`, chat's own). `profile_version` is the users module's.
 */
export const chatUsers = pgTable(
  'chat_users',
  {
    userId: userId('user_id').primaryKey(),
    login: text('login').notNull(),
    displayName: text('display_name').notNull(),
    color: text('color'),
    profileVersion: integer('profile_version').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  // Not unique: a login freed by a rename may be taken before the rename's event arrives.
  (t) => [index('chat_users_login_idx').on(t.login)],
)

/** Accepted messages, written in batches; `deleted_at` once a moderator deleted it (history flags it, hides the text). */
export const chatMessages = pgTable(
  'chat_messages',
  {
    id: uuid('id').primaryKey(),
    broadcasterId: userId('broadcaster_id').notNull(),
    userId: userId('user_id').notNull(),
    text: text('text').notNull(),
    sentAt: timestamp('sent_at', { withTimezone: true }).notNull(),
    replyParentId: uuid('reply_parent_id'),
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
  },
  (t) => [index('chat_messages_room_sent_idx').on(t.broadcasterId, t.sentAt.desc())],
)

/** Who has chatted in a channel, for the `first-msg` and `returning-chatter` tags (`last_message_at` kept to a day). */
export const chatChatters = pgTable(
  'chat_chatters',
  {
    broadcasterId: userId('broadcaster_id').notNull(),
    userId: userId('user_id').notNull(),
    firstMessageAt: timestamp('first_message_at', { withTimezone: true }).notNull(),
    lastMessageAt: timestamp('last_message_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.broadcasterId, t.userId] })],
)

/** A channel's chat modes (Helix's chat settings); a channel without a row has every mode off. */
export const chatRoomSettings = pgTable(
  'chat_room_settings',
  {
    broadcasterId: userId('broadcaster_id').primaryKey(),
    slowModeWaitTime: integer('slow_mode_wait_time'),
    followerModeDuration: integer('follower_mode_duration'),
    subscriberMode: boolean('subscriber_mode').notNull().default(false),
    emoteMode: boolean('emote_mode').notNull().default(false),
    uniqueChatMode: boolean('unique_chat_mode').notNull().default(false),
    nonModeratorChatDelayDuration: integer('non_moderator_chat_delay_duration'),
  },
  (t) => [
    check('chat_room_settings_slow_range', sql`${t.slowModeWaitTime} between 3 and 120`),
    check('chat_room_settings_followers_range', sql`${t.followerModeDuration} between 0 and 129600`),
    check('chat_room_settings_delay_values', sql`${t.nonModeratorChatDelayDuration} in (2, 4, 6)`),
  ],
)

/** A channel's moderators, named by its broadcaster. */
export const chatModerators = pgTable(
  'chat_moderators',
  { broadcasterId: userId('broadcaster_id').notNull(), userId: userId('user_id').notNull(), createdAt: createdAt() },
  (t) => [primaryKey({ columns: [t.broadcasterId, t.userId] })],
)

/** A channel's VIPs, named by its broadcaster; never its moderators too. */
export const chatVips = pgTable(
  'chat_vips',
  { broadcasterId: userId('broadcaster_id').notNull(), userId: userId('user_id').notNull(), createdAt: createdAt() },
  (t) => [primaryKey({ columns: [t.broadcasterId, t.userId] })],
)

/** Bans (`expires_at` null) and timeouts of chatters per channel; a timeout past `expires_at` is over, its row pruned later. */
export const bannedUsers = pgTable(
  'banned_users',
  {
    broadcasterId: userId('broadcaster_id').notNull(),
    userId: userId('user_id').notNull(),
    moderatorId: userId('moderator_id').notNull(),
    reason: text('reason').notNull().default(''),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.broadcasterId, t.userId] }),
    index('banned_users_room_created_idx').on(t.broadcasterId, t.createdAt.desc()),
    index('banned_users_expires_idx').on(t.expiresAt),
  ],
)

/** Words or phrases a channel refuses in chat (Helix's blocked terms), once each whatever their case. */
export const chatBlockedTerms = pgTable(
  'chat_blocked_terms',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    broadcasterId: userId('broadcaster_id').notNull(),
    moderatorId: userId('moderator_id').notNull(),
    text: text('text').notNull(),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('chat_blocked_terms_text_key').on(t.broadcasterId, sql`lower(${t.text})`)],
)

/**
 * The follow projection (users.followed / unfollowed) for followers-only mode: `followed_at`
 * null once unfollowed, the row kept for its `version` (the follower's, from users).
 */
export const chatFollows = pgTable(
  'chat_follows',
  {
    broadcasterId: userId('broadcaster_id').notNull(),
    userId: userId('user_id').notNull(),
    followedAt: timestamp('followed_at', { withTimezone: true }),
    version: integer('version').notNull(),
  },
  (t) => [primaryKey({ columns: [t.broadcasterId, t.userId] })],
)

/** Image bytes: emotes are few and small (capped at upload), so Postgres serves them without a file store. */
const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' })

/**
 * Emotes: global (no broadcaster) or a channel's, where `tier` makes it a sub emote of that tier
 * and up, its images in `emote_images`; `name` is the code typed in chat, unique among the
 * globals and within a channel.
 */
export const emotes = pgTable(
  'emotes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    broadcasterId: userId('broadcaster_id'),
    name: text('name').notNull(),
    tier: text('tier'),
    format: text('format').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('emotes_channel_name_idx').on(sql`coalesce(${t.broadcasterId}, 0)`, t.name),
    check('emotes_tier_check', sql`${t.tier} in ('1000', '2000', '3000')`),
    check('emotes_format_check', sql`${t.format} in ('static', 'animated')`),
    check('emotes_name_check', sql`${t.name} ~ '^[A-Za-z0-9]{2,25}$'`),
  ],
)

/**
 * An emote's images as served at `/api/chat/emotes/{id}/{format}/{theme}/{scale}`: Twitch's three
 * scales (28, 56, 112 px) of its static PNG and, for an animated emote, of its GIF. One image
 * serves both themes.
 */
export const emoteImages = pgTable(
  'emote_images',
  {
    emoteId: uuid('emote_id')
      .notNull()
      .references(() => emotes.id, { onDelete: 'cascade' }),
    format: text('format').notNull(),
    scale: text('scale').notNull(),
    contentType: text('content_type').notNull(),
    image: bytea('image').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.emoteId, t.format, t.scale] }),
    check('emote_images_format_check', sql`${t.format} in ('static', 'animated')`),
    check('emote_images_scale_check', sql`${t.scale} in ('1.0', '2.0', '3.0')`),
  ],
)

/**
 * The subscriptions projection (subscriptions.subscription_* events), one row per subscription
 * at its highest `version`: who subscribes to a channel, at which tier, for how many months
 * (`streak_months` below `cumulative_months` once it lapsed: a founder then loses the badge).
 */
export const chatSubscribers = pgTable(
  'chat_subscribers',
  {
    subscriptionId: text('subscription_id').primaryKey(),
    broadcasterId: userId('broadcaster_id').notNull(),
    userId: userId('user_id').notNull(),
    tier: text('tier').notNull(),
    cumulativeMonths: integer('cumulative_months').notNull(),
    streakMonths: integer('streak_months').notNull().default(1),
    isGift: boolean('is_gift').notNull(),
    currentPeriodEnd: timestamp('current_period_end', { withTimezone: true }).notNull(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    version: integer('version').notNull(),
  },
  (t) => [index('chat_subscribers_channel_user_idx').on(t.broadcasterId, t.userId)],
)

/**
 * When each user first subscribed to a channel, for its founders (the first ten): the earliest
 * any subscription event of theirs tells — a first month's start exactly, otherwise the period's
 * end less its cumulative months (a snapshot's retold subscription).
 */
export const chatFirstSubscriptions = pgTable(
  'chat_first_subscriptions',
  {
    broadcasterId: userId('broadcaster_id').notNull(),
    userId: userId('user_id').notNull(),
    subscribedAt: timestamp('subscribed_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.broadcasterId, t.userId] }), index('chat_first_subscriptions_order_idx').on(t.broadcasterId, t.subscribedAt, t.userId)],
)

/**
 * Live sessions (streams.online / offline), for replaying a past stream's chat. Either event may
 * arrive first: `started_at` is null until the online one has.
 */
export const chatStreamSessions = pgTable(
  'chat_stream_sessions',
  {
    streamId: text('stream_id').primaryKey(),
    broadcasterId: userId('broadcaster_id').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    endedAt: timestamp('ended_at', { withTimezone: true }),
  },
  (t) => [index('chat_stream_sessions_channel_idx').on(t.broadcasterId, t.startedAt)],
)

/**
 * USERNOTICEs written by event handlers in their transaction, sent to the room by a job: a
 * handler has no sockets, and a line written with the inbox row is sent once per event.
 */
export const chatNotices = pgTable('chat_notices', {
  id: bigint('id', { mode: 'bigint' }).primaryKey().generatedAlwaysAsIdentity(),
  broadcasterId: userId('broadcaster_id').notNull(),
  line: text('line').notNull(),
  createdAt: createdAt(),
})
