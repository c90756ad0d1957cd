import type { PendingQuery, Row } from 'postgres'
import type { ModuleDatabase, Transaction } from '../../platform/db/database.ts'
import { snapshotDirectory } from './directory.ts'
import { streamsError } from './errors.ts'
import { publish } from './publish.ts'
import type { VerifiedKey } from './stream-keys.ts'
import type { SuspendedCheck } from './suspensions.ts'

/** Which media server carries a session. */
export type MediaServer = 'nginx-rtmp' | 'mediamtx'

/** A live session that just started: the login the media server renames the stream to. */
export type Started = { streamId: string; login: string }
/** A session that ended: who should be cut at the media server, if it still carries it. */
export type Ended = { streamId: string; broadcasterId: string; login: string; clientId: string; server: MediaServer }

export type LiveSessions = {
  /**
   * Starts a live session for the key's channel, unless one is live (a second publisher) or the
   * broadcaster is suspended at the module's clock; a session whose updates stopped over
   * `updateTimeoutSeconds` ago is ended first.
   */
  start: (key: VerifiedKey, clientId: string, server?: MediaServer) => Promise<Started>
  /** The media server still carries the session; false when it is not live (cut it). */
  touch: (keyHash: string, clientId: string) => Promise<boolean>
  /** The media server still carries these sessions (its client ids), as its API lists them. */
  touchCarried: (server: MediaServer, clientIds: string[]) => Promise<void>
  /** Ends the session the media server says ended; undefined when none was live. */
  end: (keyHash: string, clientId: string, reason: string) => Promise<Ended | undefined>
  /** Ends the channel's live session in `tx` (its key was reset). */
  endChannel: (tx: Transaction, broadcasterId: string, reason: string) => Promise<Ended | undefined>
  /** The sessions an event ended (`owesCut`) that the media server may still carry, forgotten as they are returned. */
  takeOwedCuts: () => Promise<Ended[]>
  /** Ends every session with no update for `updateTimeoutSeconds` (its media server is gone), of the servers that update. */
  expire: () => Promise<Ended[]>
}

/** A condition spliced into a statement. */
type Fragment = PendingQuery<Row[]>

type EndedRow = { id: string; broadcaster_id: string; login: string; client_id: string; server: MediaServer; ended_at: Date }

const toEnded = (row: EndedRow): Ended => ({ streamId: row.id, broadcasterId: row.broadcaster_id, login: row.login, clientId: row.client_id, server: row.server })

/** Announces the sessions `ending` ended, in its transaction. */
const announceEnded = async (tx: Transaction, rows: EndedRow[], reason: string): Promise<Ended[]> => {
  if (rows.length > 0) await snapshotDirectory(tx.sql)
  for (const row of rows) {
    await publish(tx, 'streams.offline.v1', {
      stream_id: row.id,
      broadcaster_id: row.broadcaster_id,
      ended_at: row.ended_at.toISOString(),
      reason,
    })
  }
  return rows.map(toEnded)
}

/** Ends the live sessions `where` selects (`s` the session, `b` its broadcaster), in `tx`. */
const ending = (tx: Transaction, where: Fragment, reason: string) => tx.sql<EndedRow[]>`
  update streams s set ended_at = now(), end_reason = ${reason}
  from broadcasters b
  where b.user_id = s.broadcaster_id and s.ended_at is null and ${where}
  returning s.id::text as id, s.broadcaster_id::text as broadcaster_id, b.login, s.client_id, s.server, s.ended_at`

/**
 * Ends the channel's live session in `tx`, announced; undefined when none was live. For the
 * event handlers too (a suspension), which hold a transaction and no `LiveSessions`.
 */
export const endChannelSession = async (tx: Transaction, broadcasterId: string, reason: string): Promise<Ended | undefined> =>
  (await announceEnded(tx, await ending(tx, tx.sql`s.broadcaster_id = ${broadcasterId}::bigint`, reason), reason))[0]

/** Records that the media server may still carry `ended` (its handler cannot call it): the cut job drops it. */
export const owesCut = async (tx: Transaction, ended: Ended): Promise<void> =>
  void (await tx.sql`insert into media_cuts (stream_id) values (${ended.streamId}::bigint) on conflict do nothing`)

/**
 * The life of live sessions as the media server reports it: publish, updates, done. Each
 * change announces itself (`streams.online.v1`, `streams.offline.v1`) in its own transaction.
 * `updating`: the servers whose sessions are kept up to date (nginx-rtmp's on_update; MediaMTX's
 * when its API is polled), so whose sessions end when that stops; `suspended` refuses a publish.
 *
 * @example
 * const sessions = createLiveSessions(database, 90, ['nginx-rtmp'], suspendedAt(clock))
 * const { login } = await sessions.start(await keys.verify(name), clientId) // → 302 Location: login
 */
export function createLiveSessions(
  database: ModuleDatabase,
  updateTimeoutSeconds: number,
  updating: readonly [MediaServer, ...MediaServer[]],
  suspended: SuspendedCheck,
): LiveSessions {
  // A MediaMTX whose API is not polled sends no updates: its sessions end by its runOnUnavailable hook alone.
  const stale = (tx: Transaction): Fragment =>
    tx.sql`s.server in ${tx.sql(updating)} and s.last_update_at < now() - make_interval(secs => ${updateTimeoutSeconds})`

  return {
    start: (key, clientId, server = 'nginx-rtmp') =>
      database.transaction(async (tx) => {
        // The channel's row share-locked before the suspension is read: a suspension being applied
        // (broadcasters.ts locks the row) is read once committed, or waits and then ends this session.
        await tx.sql`select 1 from channels where broadcaster_id = ${key.broadcasterId}::bigint for share`
        if (await suspended(tx.sql, key.broadcasterId)) throw streamsError('broadcaster.suspended', 'This broadcaster is suspended')
        await announceEnded(tx, await ending(tx, tx.sql`s.broadcaster_id = ${key.broadcasterId}::bigint and ${stale(tx)}`, 'updates_stopped'), 'updates_stopped')
        const [row] = await tx.sql<{ id: string; login: string; started_at: Date }[]>`
          insert into streams (broadcaster_id, key_hash, client_id, server)
          select c.broadcaster_id, ${key.keyHash}, ${clientId}, ${server} from channels c where c.broadcaster_id = ${key.broadcasterId}::bigint
          on conflict (broadcaster_id) where ended_at is null do nothing
          returning id::text as id, (select login from broadcasters where user_id = broadcaster_id) as login, started_at`
        if (!row) throw streamsError('stream.already_live', 'This channel is live already')
        await publish(tx, 'streams.online.v1', {
          stream_id: row.id,
          broadcaster_id: key.broadcasterId,
          broadcaster_login: row.login,
          started_at: row.started_at.toISOString(),
        })
        await snapshotDirectory(tx.sql)
        return { streamId: row.id, login: row.login }
      }),
    touch: async (keyHash, clientId) => {
      const rows = await database.sql`
        update streams set last_update_at = now()
        where key_hash = ${keyHash} and client_id = ${clientId} and ended_at is null returning 1`
      return rows.length > 0
    },
    touchCarried: async (server, clientIds) => {
      if (clientIds.length === 0) return
      await database.sql`
        update streams set last_update_at = now()
        where server = ${server} and client_id in ${database.sql(clientIds)} and ended_at is null`
    },
    end: (keyHash, clientId, reason) =>
      database.transaction(async (tx) => {
        const rows = await ending(tx, tx.sql`s.key_hash = ${keyHash} and s.client_id = ${clientId}`, reason)
        return (await announceEnded(tx, rows, reason))[0]
      }),
    endChannel: endChannelSession,
    takeOwedCuts: async () => {
      const rows = await database.sql<EndedRow[]>`
        delete from media_cuts m using streams s, broadcasters b
        where s.id = m.stream_id and b.user_id = s.broadcaster_id
        returning s.id::text as id, s.broadcaster_id::text as broadcaster_id, b.login, s.client_id, s.server, s.ended_at`
      return rows.map(toEnded)
    },
    expire: () =>
      database.transaction(async (tx) => announceEnded(tx, await ending(tx, stale(tx), 'updates_stopped'), 'updates_stopped')),
  }
}
