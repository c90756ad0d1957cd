import type { Transaction } from '../../platform/db/database.ts'

const MINUTE_MS = 60_000

/** The start of the UTC minute `time` (ISO 8601) falls in, as ISO 8601: the bucket an event lands in. */
export function minuteOf(time: string): string {
  return new Date(Math.floor(Date.parse(time) / MINUTE_MS) * MINUTE_MS).toISOString()
}

/** The UTC day of `time`, `YYYY-MM-DD`. */
export const dayOf = (time: string): string => new Date(Date.parse(time)).toISOString().slice(0, 10)

/** The counters of a channel's minute (`channel_minutes`' columns), each a sum of what happened in it. */
export const MINUTE_COUNTERS = [
  'viewers',
  'anonymous_viewers',
  'chatters',
  'messages',
  'follows',
  'new_subs_1000',
  'new_subs_2000',
  'new_subs_3000',
  'gifted_subs_1000',
  'gifted_subs_2000',
  'gifted_subs_3000',
  'donations',
  'redemptions',
  'raids_in',
  'raids_out',
  'raid_viewers_in',
  'raid_viewers_out',
] as const
export type MinuteCounter = (typeof MINUTE_COUNTERS)[number]
export type MinuteCounts = Record<MinuteCounter, number>

/** What one fact adds to one channel's minute. */
export type MinuteDelta = { broadcasterId: string; minute: string; add: Partial<MinuteCounts> }

export type RevenueSource = 'subscription' | 'gift' | 'donation' | 'refund'
/** Money one fact brought a channel in one minute (negative for a refund). */
export type RevenueDelta = { broadcasterId: string; minute: string; source: RevenueSource; tier: string; currency: string; amount: number }

/** A signed-in viewer's minute of a stream, for its unique viewers. */
export type WatchedMinute = { streamId: string; userId: string }
/** What a user did in a channel on a day. */
export type UserDay = { userId: string; broadcasterId: string; day: string; watchMinutes: number; chatMessages: number }
/** A chatter's messages in a channel's minute. */
export type ChatterMinute = { broadcasterId: string; minute: string; userId: string; messages: number }

/** Sums `rows` per `key` (one upsert may not touch a row twice) and sorts them by it, so concurrent batches lock in one order. */
function summed<T>(rows: T[], key: (row: T) => string, add: (into: T, row: T) => void): T[] {
  const byKey = new Map<string, T>()
  for (const row of rows) {
    const k = key(row)
    const into = byKey.get(k)
    if (into) add(into, row)
    else byKey.set(k, { ...row })
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, row]) => row)
}
/** Zeros to pad an id with, by how many: `padStart` is a hot spot at the ingest's rows per delivery. */
const ZEROS = Array.from({ length: 21 }, (_, n) => '0'.repeat(n))
/** A bigint id padded to 20 digits, so keys holding ids sort as the numbers do. */
const id = (value: string) => (value.length >= 20 ? value : ZEROS[20 - value.length] + value)

const ESCAPED = /["\\]/

/**
 * `values` as a Postgres array literal, for a parameter cast to an array type (postgres.js passes
 * a string through). postgres.js would quote and escape each element with two regular-expression
 * replaces: at the tens of thousands of elements of a delivery, a sizeable share of the ingest's
 * CPU. Inside double quotes only `"` and `\` need escaping, so a list free of them is joined as is.
 */
export function arrayLiteral(values: readonly (string | number)[]): string {
  if (values.length === 0) return '{}'
  // One scan of all the values at once, not two per value.
  if (!ESCAPED.test(values.join(''))) return `{"${values.join('","')}"}`
  return `{${values.map((v) => `"${String(v).replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`
}

/** Adds minutes to each (stream, viewer), in one statement. */
export async function addWatchers(tx: Transaction, minutes: WatchedMinute[]): Promise<void> {
  if (minutes.length === 0) return
  const rows = summed(minutes.map((m) => ({ ...m, minutes: 1 })), (r) => `${id(r.streamId)} ${id(r.userId)}`, (a, b) => void (a.minutes += b.minutes))
  await tx.sql`
    insert into stream_viewers (stream_id, user_id, minutes)
    select * from unnest(${arrayLiteral(rows.map((r) => r.streamId))}::bigint[], ${arrayLiteral(rows.map((r) => r.userId))}::bigint[], ${arrayLiteral(rows.map((r) => r.minutes))}::int[])
    on conflict (stream_id, user_id) do update set minutes = stream_viewers.minutes + excluded.minutes`
}

/** Adds to users' days in channels, in one statement. */
export async function addUserDays(tx: Transaction, days: UserDay[]): Promise<void> {
  if (days.length === 0) return
  const rows = summed(days, (r) => `${id(r.userId)} ${r.day} ${id(r.broadcasterId)}`, (a, b) => {
    a.watchMinutes += b.watchMinutes
    a.chatMessages += b.chatMessages
  })
  await tx.sql`
    insert into user_analytics (user_id, broadcaster_id, day, watch_minutes, chat_messages)
    select * from unnest(${arrayLiteral(rows.map((r) => r.userId))}::bigint[], ${arrayLiteral(rows.map((r) => r.broadcasterId))}::bigint[], ${arrayLiteral(rows.map((r) => r.day))}::date[],
      ${arrayLiteral(rows.map((r) => r.watchMinutes))}::int[], ${arrayLiteral(rows.map((r) => r.chatMessages))}::int[])
    on conflict (user_id, day, broadcaster_id) do update set watch_minutes = user_analytics.watch_minutes + excluded.watch_minutes,
      chat_messages = user_analytics.chat_messages + excluded.chat_messages`
}

/** Adds chatters' messages to channels' minutes, in one statement. */
export async function addChatters(tx: Transaction, chatters: ChatterMinute[]): Promise<void> {
  if (chatters.length === 0) return
  const rows = summed(chatters, (r) => `${id(r.broadcasterId)} ${r.minute} ${id(r.userId)}`, (a, b) => void (a.messages += b.messages))
  await tx.sql`
    insert into chatter_minutes (broadcaster_id, minute, user_id, messages)
    select * from unnest(${arrayLiteral(rows.map((r) => r.broadcasterId))}::bigint[], ${arrayLiteral(rows.map((r) => r.minute))}::timestamptz[], ${arrayLiteral(rows.map((r) => r.userId))}::bigint[],
      ${arrayLiteral(rows.map((r) => r.messages))}::int[])
    on conflict (broadcaster_id, minute, user_id) do update set messages = chatter_minutes.messages + excluded.messages`
}

/** The tier's column of a counter kept per tier. */
export const tierCounter = (kind: 'new_subs' | 'gifted_subs', tier: '1000' | '2000' | '3000'): MinuteCounter => `${kind}_${tier}`

const COUNTER_INDEX = new Map(MINUTE_COUNTERS.map((c, k) => [c, k]))
const ADD_COUNTERS = MINUTE_COUNTERS.map((c) => `${c} = channel_minutes.${c} + excluded.${c}`).join(', ')

/**
 * Claims each fact's natural key once; returns the keys this call was the first to claim. A
 * fact is applied only when claimed, so the same fact under another event id adds nothing.
 */
export async function claimFacts(tx: Transaction, keys: string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set()
  const unique = [...new Set(keys)].sort()
  const rows = await tx.sql<{ key: string }[]>`
    insert into ingested_facts (key) select unnest(${arrayLiteral(unique)}::text[]) on conflict do nothing returning key`
  return new Set(rows.map((r) => r.key))
}

const COUNTER_COLUMNS = MINUTE_COUNTERS.join(', ')
/** The counters of the `i`-th minute of `p.c`, a matrix of one row per minute and one column per counter. */
const COUNTER_CELLS = MINUTE_COUNTERS.map((_, k) => `p.c[i][${k + 1}]`).join(', ')

/**
 * Adds the deltas to their channels' minutes in one statement, summed per minute first (one
 * row may not be updated twice by one upsert) and sorted, so concurrent batches lock rows in
 * one order and never deadlock. The counters go as one int[][] (a row per minute): Postgres reads
 * it for half the CPU of the same rows as jsonb records.
 */
export async function addToMinutes(tx: Transaction, deltas: MinuteDelta[]): Promise<void> {
  if (deltas.length === 0) return
  const rows = new Map<string, { broadcasterId: string; minute: string; counts: number[] }>()
  for (const { broadcasterId, minute, add } of deltas) {
    const key = `${id(broadcasterId)} ${minute}`
    let row = rows.get(key)
    if (!row) {
      row = { broadcasterId, minute, counts: MINUTE_COUNTERS.map(() => 0) }
      rows.set(key, row)
    }
    for (const [counter, value] of Object.entries(add)) row.counts[COUNTER_INDEX.get(counter as MinuteCounter)!]! += value ?? 0
  }
  const sorted = [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, row]) => row)
  await tx.sql`
    insert into channel_minutes (broadcaster_id, minute, ${tx.sql.unsafe(COUNTER_COLUMNS)})
    select p.b[i], p.m[i], ${tx.sql.unsafe(COUNTER_CELLS)}
    from (select ${arrayLiteral(sorted.map((r) => r.broadcasterId))}::bigint[] as b, ${arrayLiteral(sorted.map((r) => r.minute))}::timestamptz[] as m,
      ${`{${sorted.map((r) => `{${r.counts.join(',')}}`).join(',')}}`}::int[] as c) as p, generate_subscripts(p.b, 1) as i
    order by i
    on conflict (broadcaster_id, minute) do update set ${tx.sql.unsafe(ADD_COUNTERS)}`
}

/** Adds money to the channels' minutes, per source, tier and currency, in one statement. */
export async function addRevenue(tx: Transaction, deltas: RevenueDelta[]): Promise<void> {
  if (deltas.length === 0) return
  const rows = new Map<string, { broadcaster_id: string; minute: string; source: string; tier: string; currency: string; amount: number; payments: number }>()
  for (const d of deltas) {
    const key = [id(d.broadcasterId), d.minute, d.source, d.tier, d.currency].join(' ')
    const row = rows.get(key) ?? { broadcaster_id: d.broadcasterId, minute: d.minute, source: d.source, tier: d.tier, currency: d.currency, amount: 0, payments: 0 }
    row.amount += d.amount
    row.payments += 1
    rows.set(key, row)
  }
  const sorted = [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, row]) => row)
  await tx.sql`
    insert into revenue_analytics
    select * from jsonb_populate_recordset(null::revenue_analytics, ${tx.sql.json(sorted)}::jsonb)
    order by broadcaster_id, minute, source, tier, currency
    on conflict (broadcaster_id, minute, source, tier, currency)
    do update set amount = revenue_analytics.amount + excluded.amount, payments = revenue_analytics.payments + excluded.payments`
}

/** The advisory lock of a channel's buckets: the ingest holds it shared, a summary of one of its sessions alone. */
export const channelLock = (broadcasterId: string) => `analytics:channel:${broadcasterId}`

/**
 * Flags the summarized sessions these channel minutes fall in: a late event changed them, so
 * the sessions job writes their summaries again. The channels' locks come first, in a statement
 * of their own: a summary written meanwhile (which could not see this uncommitted ingest) has
 * committed by the time the flagging statement looks, so it is flagged; a summary not yet
 * begun waits for this ingest to commit.
 */
export async function markLate(tx: Transaction, touched: { broadcasterId: string; minute: string }[]): Promise<void> {
  if (touched.length === 0) return
  const minutes = [...new Set(touched.map((t) => `${t.broadcasterId} ${t.minute}`))].sort().map((key) => key.split(' ') as [string, string])
  const channels = [...new Set(minutes.map(([b]) => channelLock(b)))]
  // Sent together (pipelined, run in this order): the flagging statement's snapshot is still taken after the locks.
  await Promise.all([
    tx.sql`select pg_advisory_xact_lock_shared(hashtextextended(k, 0)) from unnest(${arrayLiteral(channels)}::text[]) as k`,
    tx.sql`
      update stream_analytics s set changes = s.changes + 1
      from unnest(${arrayLiteral(minutes.map(([b]) => b))}::bigint[], ${arrayLiteral(minutes.map(([, m]) => m))}::timestamptz[]) as t(broadcaster_id, minute)
      where s.summarized_at is not null and s.broadcaster_id = t.broadcaster_id
        and t.minute >= date_trunc('minute', s.started_at) and t.minute < s.ended_at`,
  ])
}

/** Adds to the running totals the metrics' counters read (`follows`, `revenue:EUR`…). */
export async function addToTotals(tx: Transaction, totals: Map<string, number>): Promise<void> {
  const entries = [...totals.entries()].filter(([, v]) => v !== 0).sort(([a], [b]) => (a < b ? -1 : 1))
  if (entries.length === 0) return
  await tx.sql`
    insert into analytics_totals (name, value)
    select * from unnest(${arrayLiteral(entries.map(([n]) => n))}::text[], ${arrayLiteral(entries.map(([, v]) => v))}::bigint[])
    on conflict (name) do update set value = analytics_totals.value + excluded.value`
}
