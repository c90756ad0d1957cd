import { sql } from 'drizzle-orm'
import { usersEvents } from '../../contracts/users.ts'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import { consume } from '../../platform/events/consume.ts'
import type { EventEnvelope, Transaction } from '../../platform/events/types.ts'
import { chatUsers } from './schema.ts'

/** A user as chat shows them; `color` is `''` until they pick one with `/color`. */
export type ChatUser = { id: string; login: string; displayName: string; color: string }

type Profile = { user_id: string; login: string; display_name: string; version: number }

/**
 * The payload with the highest version per user, in user-id order: an upsert may not touch a
 * row twice, and replicas' batches lock shared rows in one order, so they never deadlock.
 */
function latestPerUser(events: EventEnvelope<string, Profile>[]): Profile[] {
  const latest = new Map<string, Profile>()
  for (const { payload } of events) {
    if ((latest.get(payload.user_id)?.version ?? 0) <= payload.version) latest.set(payload.user_id, payload)
  }
  return [...latest.values()].sort((a, b) => (BigInt(a.user_id) < BigInt(b.user_id) ? -1 : 1))
}

/** Overwrites the copy when the event's profile version is at least the one held; the colour is chat's own and stays. */
async function upsertProfiles(tx: Transaction, events: EventEnvelope<string, Profile>[]): Promise<void> {
  const rows = latestPerUser(events).map((p) => ({ userId: BigInt(p.user_id), login: p.login, displayName: p.display_name, profileVersion: p.version }))
  await tx
    .insert(chatUsers)
    .values(rows)
    .onConflictDoUpdate({
      target: chatUsers.userId,
      set: { login: sql`excluded.login`, displayName: sql`excluded.display_name`, profileVersion: sql`excluded.profile_version` },
      setWhere: sql`${chatUsers.profileVersion} <= excluded.profile_version`,
    })
}

/** The users projection, from the users events live or the users snapshot when chat joins late. */
export const chatUsersProjection = consume(usersEvents, {
  'users.registered.v1': { handleMany: upsertProfiles },
  'users.profile_updated.v1': { handleMany: upsertProfiles },
})

export type ChatUsers = {
  byLogin: (login: string) => Promise<ChatUser | undefined>
  byId: (id: string) => Promise<ChatUser | undefined>
  /** `color` as `#RRGGBB`. */
  setColor: (id: string, color: string) => Promise<void>
}

type Row = { id: string; login: string; display_name: string; color: string | null }
const userOf = (row: Row | undefined): ChatUser | undefined =>
  row && { id: row.id, login: row.login, displayName: row.display_name, color: row.color ?? '' }

/**
 * Chat's users, read with prepared statements (a login per JOIN's channel, a sender per login).
 *
 * @example
 * const users = createChatUsers(database)
 * const ada = await users.byLogin('ada') // { id: '1', login: 'ada', displayName: 'Ada', color: '' }
 */
export function createChatUsers(database: ModuleDatabase): ChatUsers {
  const { sql: db } = database
  return {
    byLogin: async (login) => {
      // The freshest profile wins when a freed login is briefly held twice (a rename not yet seen).
      const [row] = await db<Row[]>`
        select user_id::text as id, login, display_name, color from chat_users where login = ${login.toLowerCase()}
        order by updated_at desc limit 1`
      return userOf(row)
    },
    byId: async (id) => {
      if (!/^[1-9][0-9]{0,18}$/.test(id)) return undefined
      const [row] = await db<Row[]>`select user_id::text as id, login, display_name, color from chat_users where user_id = ${id}`
      return userOf(row)
    },
    setColor: async (id, color) => {
      await db`update chat_users set color = ${color} where user_id = ${id}`
    },
  }
}
