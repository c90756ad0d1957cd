import { sql } from 'drizzle-orm'
import {
  type AnyPgColumn,
  bigint,
  boolean,
  check,
  index,
  inet,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core'
import type { Role } from '../../platform/auth/tokens.ts'

export const BROADCASTER_TYPES = ['partner', 'affiliate', ''] as const
export type BroadcasterType = (typeof BROADCASTER_TYPES)[number]

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow()
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()

/**
 * A user id as every layer above the tables holds it: the decimal text of its bigint, exact
 * beyond 2^53 (a JavaScript number is not), and already the API's, the tokens' and the
 * events' form. Columns are drizzle `bigint`s in `bigint` mode; services convert at the query.
 */
export type UserId = string

export const users = pgTable(
  'users',
  {
    id: bigint('id', { mode: 'bigint' }).primaryKey().generatedAlwaysAsIdentity(),
    login: text('login').notNull().unique(),
    displayName: text('display_name').notNull(),
    // Not unique: as on Twitch, one address may hold several accounts, so registration
    // never reveals whether an address is known.
    email: text('email').notNull(),
    passwordHash: text('password_hash').notNull(),
    description: text('description').notNull().default(''),
    profileImageUrl: text('profile_image_url').notNull().default(''),
    offlineImageUrl: text('offline_image_url').notNull().default(''),
    // Twitch's broadcaster_type, kept on the row (not derived from user_roles) so a profile
    // is one primary-key read; roles.ts sets it in the transaction that grants or revokes partner.
    broadcasterType: text('broadcaster_type').$type<BroadcasterType>().notNull().default(''),
    // The `version` of the profile and role events (DESIGN §6): bumped by the statement that
    // makes the change, so the row lock orders concurrent changes and consumers keep the highest.
    profileVersion: integer('profile_version').notNull().default(1),
    rolesVersion: integer('roles_version').notNull().default(1),
    // When a role was last revoked: users re-announces the revocation at start while the
    // access tokens it covers may still be alive (revocations.ts).
    rolesRevokedAt: timestamp('roles_revoked_at', { withTimezone: true }),
    // A suspension (an admin's; suspensions.ts), in force from `suspended_at` until
    // `suspension_ends_at` (null: until reinstated). On the row, not in a table of its own, so
    // the statement that opens a session re-checks it under the row's lock (sessions.ts).
    suspendedAt: timestamp('suspended_at', { withTimezone: true }),
    suspensionEndsAt: timestamp('suspension_ends_at', { withTimezone: true }),
    suspensionReason: text('suspension_reason'),
    suspendedBy: bigint('suspended_by', { mode: 'bigint' }).references((): AnyPgColumn => users.id, { onDelete: 'set null' }),
    // The `version` of the suspension events, bumped by each suspension and reinstatement.
    suspensionVersion: integer('suspension_version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check('users_login_format', sql`${t.login} ~ '^[a-z0-9_]{4,25}$'`),
    check('users_broadcaster_type', sql`${t.broadcasterType} in ('', 'affiliate', 'partner')`),
    index('users_roles_revoked_idx').on(t.rolesRevokedAt).where(sql`${t.rolesRevokedAt} is not null`),
    index('users_suspended_by_idx').on(t.suspendedBy).where(sql`${t.suspendedBy} is not null`),
    // The suspensions whose end the job announces (suspensions.ts): only the timed ones.
    index('users_suspension_ends_idx').on(t.suspensionEndsAt).where(sql`${t.suspensionEndsAt} is not null`),
    check('users_suspension', sql`(${t.suspendedAt} is null) = (${t.suspensionReason} is null)`),
    check('users_suspension_reason', sql`char_length(${t.suspensionReason}) between 1 and 500`),
  ],
)

export const userRoles = pgTable(
  'user_roles',
  {
    userId: bigint('user_id', { mode: 'bigint' })
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role').notNull(),
    grantedBy: bigint('granted_by', { mode: 'bigint' }).references(() => users.id, { onDelete: 'set null' }),
    grantedAt: timestamp('granted_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.role] }),
    index('user_roles_granted_by_idx').on(t.grantedBy),
    check('user_roles_role', sql`${t.role} in ('admin', 'staff', 'partner')`),
  ],
)

export const followers = pgTable(
  'followers',
  {
    followerId: bigint('follower_id', { mode: 'bigint' })
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    followedId: bigint('followed_id', { mode: 'bigint' })
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    followedAt: timestamp('followed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.followerId, t.followedId] }),
    // Both lists page newest first: these serve them and index each foreign key.
    index('followers_followed_idx').on(t.followedId, t.followedAt.desc(), t.followerId.desc()),
    index('followers_following_idx').on(t.followerId, t.followedAt.desc(), t.followedId.desc()),
    check('followers_not_self', sql`${t.followerId} <> ${t.followedId}`),
  ],
)

/**
 * Per follower, a counter bumped in the transaction of every follow change, under the row's
 * lock: events carry it, so a consumer can tell which of two changes of one pair came last,
 * whatever order the events reach it in.
 */
export const followVersions = pgTable('follow_versions', {
  followerId: bigint('follower_id', { mode: 'bigint' })
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  version: bigint('version', { mode: 'number' }).notNull(), // a count of changes: far below 2^53
})

export const userSettings = pgTable('user_settings', {
  userId: bigint('user_id', { mode: 'bigint' })
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  chatColor: text('chat_color'),
  language: text('language').notNull().default('en'),
  notifications: jsonb('notifications')
    .$type<{ live: boolean; email: boolean; whispers: boolean }>()
    .notNull()
    .default({ live: true, email: true, whispers: true }),
  matureContent: boolean('mature_content').notNull().default(false),
  updatedAt: updatedAt(),
})

/** A login session: one refresh-token family. Revoking it ends every token of the family. */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: bigint('user_id', { mode: 'bigint' })
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    userAgent: text('user_agent').notNull().default(''),
    ip: inet('ip'),
    createdAt: createdAt(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('sessions_user_idx').on(t.userId, t.createdAt.desc()),
    index('sessions_revoked_idx').on(t.revokedAt).where(sql`${t.revokedAt} is not null`),
  ],
)

/** What an access token was minted from, besides its user and session: `refresh_tokens.access_claims`. */
export type IssuedClaims = { login: string; roles: Role[]; rolesVersion: number; issuedAt: number }

/** Opaque refresh tokens, stored as SHA-256 hashes; `rotated_at` marks one already exchanged. */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
    rotatedAt: timestamp('rotated_at', { withTimezone: true }),
    // A successor's access-token claims (no secret: login, roles, their version, iat), so a
    // retried refresh re-signs the very token the first answer carried.
    accessClaims: jsonb('access_claims').$type<IssuedClaims>(),
  },
  (t) => [index('refresh_tokens_session_idx').on(t.sessionId)],
)
