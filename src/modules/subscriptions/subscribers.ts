import type { ModuleDatabase } from '../../platform/db/database.ts'
import { SUBSCRIPTION_COLUMNS, type SubscriptionRow } from './subscriptions.ts'

/** A subscription with the logins and display names of its channel, user and gifter (null: not in the users projection yet). */
export type NamedSubscription = SubscriptionRow & {
  broadcaster_login: string | null
  broadcaster_name: string | null
  user_login: string | null
  user_name: string | null
  gifter_login: string | null
  gifter_name: string | null
}

/** Helix's points of a subscriber: 1, 2 and 6 for tiers 1, 2 and 3. */
const POINTS = `case s.tier when '1000' then 1 when '2000' then 2 else 6 end`

const COLUMNS = SUBSCRIPTION_COLUMNS.split(',')
  .map((column) => `s.${column.trim()}`)
  .join(', ')

/**
 * Reads of subscriptions with names from the users projection: a channel's subscribers (with
 * Helix's `total` and `points`), one user's subscription to a channel, and a user's own list.
 * @example
 * const subscribers = createSubscribers(database)
 * const { rows, total, points } = await subscribers.ofChannel('42', 20, undefined)
 */
export function createSubscribers(database: ModuleDatabase) {
  const { sql } = database
  const named = (where: ReturnType<typeof sql>, order: string, limit: number) => sql<NamedSubscription[]>`
    select ${sql.unsafe(COLUMNS)}, b.login as broadcaster_login, b.display_name as broadcaster_name,
      u.login as user_login, u.display_name as user_name, g.login as gifter_login, g.display_name as gifter_name
    from subscriptions s
    left join subscription_users b on b.user_id = s.broadcaster_id
    left join subscription_users u on u.user_id = s.user_id
    left join subscription_users g on g.user_id = s.gifter_id
    where ${where} order by ${sql.unsafe(order)} limit ${limit}`
  return {
    /** The channel's active subscribers by user id, `first + 1` after `after` (a user id), with the totals of all of them. */
    async ofChannel(broadcasterId: string, first: number, after: string | undefined) {
      const [rows, [totals]] = await Promise.all([
        named(sql`s.broadcaster_id = ${broadcasterId} and s.status = 'active' and s.user_id > ${after ?? '0'}`, 's.user_id', first + 1),
        sql<{ total: number; points: number }[]>`
          select count(*)::int as total, coalesce(sum(${sql.unsafe(POINTS)}), 0)::int as points
          from subscriptions s where s.broadcaster_id = ${broadcasterId} and s.status = 'active'`,
      ])
      return { rows, total: totals!.total, points: totals!.points }
    },
    /** The user's active subscription to the channel, if any. */
    async ofUser(broadcasterId: string, userId: string): Promise<NamedSubscription | undefined> {
      const [row] = await named(sql`s.broadcaster_id = ${broadcasterId} and s.user_id = ${userId} and s.status = 'active'`, 's.id', 1)
      return row
    },
    /** Every subscription the user has or had, by channel, `first + 1` after `after` (a channel id). */
    mine(userId: string, first: number, after: string | undefined) {
      return named(sql`s.user_id = ${userId} and s.broadcaster_id > ${after ?? '0'}`, 's.broadcaster_id', first + 1)
    },
  }
}

export type Subscribers = ReturnType<typeof createSubscribers>
