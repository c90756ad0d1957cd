import { sql } from 'drizzle-orm'
import { bigint, boolean, check, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'

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
