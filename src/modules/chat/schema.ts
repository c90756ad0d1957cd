import { bigint, index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core'

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

/** Who has chatted in a channel, for the `first-msg` and `returning-chatter` tags. */
export const chatChatters = pgTable(
  'chat_chatters',
  {
    broadcasterId: userId('broadcaster_id').notNull(),
    userId: userId('user_id').notNull(),
    firstMessageAt: timestamp('first_message_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.broadcasterId, t.userId] })],
)
