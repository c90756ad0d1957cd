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

/** Counts one more run of a handler for `event`: more than 1 means the event took effect twice. */
async function recordApplied(tx: Transaction, event: EventEnvelope): Promise<void> {
  await tx
    .insert(appliedEvents)
    .values({ eventId: event.id, type: event.type, applications: 1 })
    .onConflictDoUpdate({ target: appliedEvents.eventId, set: { applications: sql`${appliedEvents.applications} + 1` } })
}

/** Sets a pair's state unless the row already reflects a later change of that pair. */
async function projectFollow(
  tx: Transaction,
  pair: { follower_id: string; followed_id: string; version: number },
  followedAt: string | null,
): Promise<void> {
  const state = { following: followedAt !== null, followedAt, version: pair.version }
  await tx
    .insert(followProjection)
    .values({ followerId: pair.follower_id, followedId: pair.followed_id, ...state })
    .onConflictDoUpdate({
      target: [followProjection.followerId, followProjection.followedId],
      set: state,
      setWhere: sql`${followProjection.version} < ${pair.version}`,
    })
}

/**
 * `handlerDelayMs` keeps each batch's transaction open a little longer, so a consumer killed
 * mid-stream is sure to die holding delivered, unacknowledged entries.
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
      'users.registered.v1': async (tx, event) => {
        await slow()
        const { user_id: userId, login } = event.payload
        await tx.insert(knownUsers).values({ userId, login }).onConflictDoUpdate({ target: knownUsers.userId, set: { login } })
        await recordApplied(tx, event)
      },
      'users.followed.v1': async (tx, event) => {
        await slow()
        await projectFollow(tx, event.payload, event.payload.followed_at)
        await recordApplied(tx, event)
      },
      'users.unfollowed.v1': async (tx, event) => {
        await slow()
        await projectFollow(tx, event.payload, null)
        await recordApplied(tx, event)
      },
    }),
    create: () => ({ routes: new OpenAPIHono<AppEnv>() }),
  }
}
