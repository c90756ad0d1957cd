/**
 * A test-only consuming module standing in for streams/chat until they exist: it keeps a
 * projection of who follows whom from the users events, as chat will for its follower-only
 * rooms. It takes the name `analytics` (a module's name must be one of the five) and, like
 * any split module, reaches users only through its published events.
 */
import { OpenAPIHono } from '@hono/zod-openapi'
import { resolve } from 'node:path'
import { sql } from 'drizzle-orm'
import { usersEvents } from '../../../src/contracts/users.ts'
import { consume } from '../../../src/platform/events/consume.ts'
import type { EventEnvelope, Transaction } from '../../../src/platform/events/types.ts'
import type { AppEnv } from '../../../src/platform/http/env.ts'
import type { ModuleDefinition } from '../../../src/platform/module.ts'
import { appliedEvents, followProjection, knownUsers } from './schema.ts'

export const PROJECTION_MODULE = 'analytics'
export const PROJECTED_EVENT_TYPES = ['users.registered.v1', 'users.followed.v1', 'users.unfollowed.v1'] as const

/** Counts one more run of a handler for each of `events`: more than 1 means an event took effect twice. */
async function recordApplied(tx: Transaction, events: EventEnvelope[]): Promise<void> {
  await tx
    .insert(appliedEvents)
    .values(events.map((event) => ({ eventId: event.id, type: event.type, applications: 1 })))
    .onConflictDoUpdate({ target: appliedEvents.eventId, set: { applications: sql`${appliedEvents.applications} + 1` } })
}

type FollowChange = { follower_id: string; followed_id: string; version: number; followedAt: string | null }

/**
 * Sets each pair's state unless its row already reflects a later change of that pair, in one
 * statement. One row per pair (its latest change here): an upsert may not touch a row twice.
 * Rows go in key order, so two replicas' batches lock shared pairs in the same order and never
 * deadlock (a snapshot's batch and a live one share pairs).
 */
async function projectFollows(tx: Transaction, changes: FollowChange[]): Promise<void> {
  const latest = new Map<string, FollowChange>()
  for (const change of changes) {
    const key = `${change.follower_id}>${change.followed_id}`
    if ((latest.get(key)?.version ?? 0) < change.version) latest.set(key, change)
  }
  await tx
    .insert(followProjection)
    .values(
      [...latest].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, change]) => ({
        followerId: change.follower_id,
        followedId: change.followed_id,
        following: change.followedAt !== null,
        followedAt: change.followedAt,
        version: change.version,
      })),
    )
    .onConflictDoUpdate({
      target: [followProjection.followerId, followProjection.followedId],
      set: {
        following: sql`excluded.following`,
        followedAt: sql`excluded.followed_at`,
        version: sql`excluded.version`,
      },
      setWhere: sql`${followProjection.version} < excluded.version`,
    })
}

/**
 * `handlerDelayMs` keeps each batch's transaction open a little longer, so a consumer killed
 * mid-stream is sure to die holding delivered, unacknowledged entries. Each event type is
 * handled a delivery at a time (`handleMany`), one statement per table.
 */
export function followerProjection(options: { handlerDelayMs?: number } = {}): ModuleDefinition {
  const slow = async () => {
    if (options.handlerDelayMs) await Bun.sleep(options.handlerDelayMs)
  }
  return {
    name: PROJECTION_MODULE,
    prefixes: [],
    migrations: resolve(import.meta.dir, 'migrations'),
    consumes: consume(usersEvents, {
      'users.registered.v1': {
        handleMany: async (tx, events) => {
          await slow()
          // The last login heard per user: an upsert may not touch a row twice.
          const logins = new Map(events.map((event) => [event.payload.user_id, event.payload.login]))
          await tx
            .insert(knownUsers)
            .values([...logins].sort(([a], [b]) => (a < b ? -1 : 1)).map(([userId, login]) => ({ userId, login })))
            .onConflictDoUpdate({ target: knownUsers.userId, set: { login: sql`excluded.login` } })
          await recordApplied(tx, events)
        },
      },
      'users.followed.v1': {
        handleMany: async (tx, events) => {
          await slow()
          await projectFollows(tx, events.map(({ payload }) => ({ ...payload, followedAt: payload.followed_at })))
          await recordApplied(tx, events)
        },
      },
      'users.unfollowed.v1': {
        handleMany: async (tx, events) => {
          await slow()
          await projectFollows(tx, events.map(({ payload }) => ({ ...payload, followedAt: null })))
          await recordApplied(tx, events)
        },
      },
    }),
    create: () => ({ routes: new OpenAPIHono<AppEnv>() }),
  }
}
