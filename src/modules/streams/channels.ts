import type { Sql, TransactionSql } from 'postgres'
import type { ModuleDatabase } from '../../platform/db/database.ts'
import { streamsError } from './errors.ts'
import { publish } from './publish.ts'

/** A channel as the services hand it to routes (ids as decimal text). */
export type Channel = {
  broadcasterId: string
  login: string
  displayName: string
  language: string
  gameId: string
  gameName: string
  title: string
  delay: number
  tags: string[]
  contentClassificationLabels: string[]
  isBrandedContent: boolean
}

/** What a PATCH may change; absent fields stay. `gameId: ''` clears the category. */
export type ChannelChange = Partial<Omit<Channel, 'broadcasterId' | 'login' | 'displayName' | 'gameName'>>

type ChannelRow = {
  broadcaster_id: string
  login: string
  display_name: string
  broadcaster_language: string
  game_id: string | null
  game_name: string | null
  title: string
  delay: number
  tags: string[]
  content_classification_labels: string[]
  is_branded_content: boolean
  version: number
}

const toChannel = (row: ChannelRow): Channel => ({
  broadcasterId: row.broadcaster_id,
  login: row.login,
  displayName: row.display_name,
  language: row.broadcaster_language,
  gameId: row.game_id ?? '',
  gameName: row.game_name ?? '',
  title: row.title,
  delay: row.delay,
  tags: row.tags,
  contentClassificationLabels: row.content_classification_labels,
  isBrandedContent: row.is_branded_content,
})

const channelRows = (sql: Sql | TransactionSql, ids: string[]) => sql<ChannelRow[]>`
  select c.broadcaster_id::text as broadcaster_id, b.login, b.display_name, c.broadcaster_language,
         c.game_id::text as game_id, g.name as game_name, c.title, c.delay, c.tags,
         c.content_classification_labels, c.is_branded_content, c.version
  from channels c join broadcasters b on b.user_id = c.broadcaster_id
  left join categories g on g.id = c.game_id
  where c.broadcaster_id = any(${ids}::bigint[])`

export type Channels = {
  byIds: (ids: string[]) => Promise<Channel[]>
  /**
   * Applies `change` and announces the channel as it now is; throws `game.unknown` for a
   * category that does not exist, `channel.delay_partners_only` for a delay asked by someone
   * who is not a partner (Helix: only partners may buffer their broadcast).
   */
  update: (broadcasterId: string, change: ChannelChange, by: { partner: boolean }) => Promise<Channel>
}

/**
 * Channel information (Helix "Get/Modify Channel Information").
 *
 * @example
 * const channels = createChannels(database)
 * await channels.update('42', { title: 'Speedrun', tags: ['English'] }, { partner: false })
 */
export function createChannels(database: ModuleDatabase): Channels {
  return {
    byIds: async (ids) => (await channelRows(database.sql, ids)).map(toChannel),
    update: async (broadcasterId, change, by) =>
      database.transaction(async (tx) => {
        // A delay of 0 is no delay: anyone may set it back (a partner no more, say).
        if (change.delay && !by.partner) {
          throw streamsError('channel.delay_partners_only', 'Only partners may delay their broadcast', { errors: [{ field: 'delay', message: 'partners only' }] })
        }
        if (change.gameId) {
          const [game] = await tx.sql`select 1 from categories where id = ${change.gameId}::bigint`
          if (!game) throw streamsError('game.unknown', 'No category with this game_id', { errors: [{ field: 'game_id', message: 'no such category' }] })
        }
        const gameId = change.gameId === undefined ? undefined : change.gameId === '' ? null : change.gameId
        const [updated] = await tx.sql<{ broadcaster_id: string }[]>`
          update channels set
            broadcaster_language = coalesce(${change.language ?? null}, broadcaster_language),
            game_id = case when ${gameId !== undefined} then ${gameId ?? null}::bigint else game_id end,
            title = coalesce(${change.title ?? null}, title),
            delay = coalesce(${change.delay ?? null}::int, delay),
            tags = coalesce(${change.tags ?? null}::text[], tags),
            content_classification_labels = coalesce(${change.contentClassificationLabels ?? null}::text[], content_classification_labels),
            is_branded_content = coalesce(${change.isBrandedContent ?? null}::boolean, is_branded_content),
            version = version + 1
          where broadcaster_id = ${broadcasterId}::bigint
          returning broadcaster_id::text as broadcaster_id`
        if (!updated) throw streamsError('channel.not_found', 'No channel for this broadcaster_id')
        const [row] = await channelRows(tx.sql, [broadcasterId])
        const channel = toChannel(row!)
        await publish(tx, 'streams.channel_updated.v1', {
          broadcaster_id: channel.broadcasterId,
          broadcaster_language: channel.language,
          game_id: channel.gameId,
          game_name: channel.gameName,
          title: channel.title,
          tags: channel.tags,
          version: row!.version,
        })
        return channel
      }),
  }
}
