import type { Fanout } from './fanout.ts'
import { formatLine } from './irc/message.ts'
import { userPrefix } from './irc/replies.ts'

/** Twitch stops telling JOINs and PARTs in rooms this big; past it a batch is dropped, and a room's batch holds no more changes. */
export const MEMBERSHIP_ROOM_LIMIT = 1000

/** The room a change is in: its channel's login and broadcaster. */
type Room = { login: string; broadcasterId: string }

export type Membership = {
  /** A signed-in user's connection joined or left the room (anonymous ones are never told, as on Twitch). */
  joined: (room: Room, login: string) => void
  parted: (room: Room, login: string) => void
  /** Sends each room's changes since the last flush in one frame (the job runs it every CHAT_MEMBERSHIP_INTERVAL_MS). */
  flush: () => void
}

type Batch = { login: string; changes: Map<string, 'JOIN' | 'PART'> }

/**
 * JOIN and PART of other users for connections holding twitch.tv/membership, batched as Twitch
 * does: the changes of a room are kept per process until the next flush (a JOIN then a PART of
 * the same login cancel out), then published once to the room's membership topics — only while
 * the room has fewer than 1 000 connections on this replica. A login with several connections in
 * a room joins with its first and parts with its last (on this replica). Memory is bounded: at
 * most 1 000 changes per room, rooms only those with a change since the last flush, and a count
 * per signed-in login present.
 *
 * @example
 * const membership = createMembership(fanout)
 * membership.joined({ login: 'ada', broadcasterId: '42' }, 'bob')
 * membership.flush() // ':bob!bob@bob.tmi.twitch.tv JOIN #ada' to #ada's membership connections
 */
export function createMembership(fanout: Pick<Fanout, 'roomSize' | 'toMembers'>): Membership {
  let pending = new Map<string, Batch>()
  /** Connections per login in each room, so only a login's first and last one are told. */
  const present = new Map<string, Map<string, number>>()

  const change = (room: Room, login: string, command: 'JOIN' | 'PART') => {
    let batch = pending.get(room.broadcasterId)
    if (batch === undefined) {
      batch = { login: room.login, changes: new Map() }
      pending.set(room.broadcasterId, batch)
    }
    const previous = batch.changes.get(login)
    if (previous !== undefined && previous !== command) batch.changes.delete(login)
    else if (previous === undefined && batch.changes.size < MEMBERSHIP_ROOM_LIMIT) batch.changes.set(login, command)
  }

  return {
    joined(room, login) {
      let logins = present.get(room.broadcasterId)
      if (logins === undefined) present.set(room.broadcasterId, (logins = new Map()))
      const connections = (logins.get(login) ?? 0) + 1
      logins.set(login, connections)
      if (connections === 1) change(room, login, 'JOIN')
    },
    parted(room, login) {
      const logins = present.get(room.broadcasterId)
      const connections = logins?.get(login)
      if (logins === undefined || connections === undefined) return
      if (connections > 1) return void logins.set(login, connections - 1)
      logins.delete(login)
      if (logins.size === 0) present.delete(room.broadcasterId)
      change(room, login, 'PART')
    },
    flush() {
      const batches = pending
      pending = new Map()
      for (const [broadcasterId, batch] of batches) {
        if (batch.changes.size === 0 || fanout.roomSize(broadcasterId) >= MEMBERSHIP_ROOM_LIMIT) continue
        const lines = [...batch.changes].map(([login, command]) => formatLine({ tags: {}, prefix: userPrefix(login), command, params: [`#${batch.login}`] }))
        fanout.toMembers(broadcasterId, lines)
      }
    },
  }
}
