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

/** The tier's column of a counter kept per tier. */
export const tierCounter = (kind: 'new_subs' | 'gifted_subs', tier: '1000' | '2000' | '3000'): MinuteCounter => `${kind}_${tier}`

const ADD_COUNTERS = MINUTE_COUNTERS.map((c) => `${c} = channel_minutes.${c} + excluded.${c}`).join(', ')

/**
 * Claims each fact's natural key once; returns the keys this call was the first to claim. A
 * fact is applied only when claimed, so the same fact under another event id adds nothing.
 */
export async function claimFacts(tx: Transaction, keys: string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set()
  const unique = [...new Set(keys)].sort()
  const rows = await tx.sql<{ key: string }[]>`
    insert into ingested_facts (key) select unnest(${unique}::text[]) on conflict do nothing returning key`
  return new Set(rows.map((r) => r.key))
}

/**
 * Adds the deltas to their channels' minutes in one statement, summed per minute first (one
 * row may not be updated twice by one upsert) and sorted, so concurrent batches lock rows in
 * one order and never deadlock.
 */
export async function addToMinutes(tx: Transaction, deltas: MinuteDelta[]): Promise<void> {
  if (deltas.length === 0) return
  const rows = new Map<string, Record<string, string | number>>()
  for (const { broadcasterId, minute, add } of deltas) {
    const key = `${broadcasterId.padStart(20, '0')} ${minute}`
    let row = rows.get(key)
    if (!row) {
      row = { broadcaster_id: broadcasterId, minute, ...Object.fromEntries(MINUTE_COUNTERS.map((c) => [c, 0])) }
      rows.set(key, row)
    }
    for (const [counter, value] of Object.entries(add)) row[counter] = (row[counter] as number) + (value ?? 0)
  }
  const sorted = [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, row]) => row)
  await tx.sql`
    insert into channel_minutes
    select * from jsonb_populate_recordset(null::channel_minutes, ${tx.sql.json(sorted)}::jsonb)
    order by broadcaster_id, minute
    on conflict (broadcaster_id, minute) do update set ${tx.sql.unsafe(ADD_COUNTERS)}`
  await markLate(tx, sorted.map((r) => [String(r.broadcaster_id), String(r.minute)]))
}

/** Adds money to the channels' minutes, per source, tier and currency, in one statement. */
export async function addRevenue(tx: Transaction, deltas: RevenueDelta[]): Promise<void> {
  if (deltas.length === 0) return
  const rows = new Map<string, { broadcaster_id: string; minute: string; source: string; tier: string; currency: string; amount: number; payments: number }>()
  for (const d of deltas) {
    const key = [d.broadcasterId.padStart(20, '0'), d.minute, d.source, d.tier, d.currency].join(' ')
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
  await markLate(tx, sorted.map((r) => [r.broadcaster_id, r.minute]))
}

/**
 * Flags the summarized sessions these channel minutes fall in: a late event changed them, so
 * the sessions job writes their summaries again.
 */
export async function markLate(tx: Transaction, minutes: [broadcasterId: string, minute: string][]): Promise<void> {
  if (minutes.length === 0) return
  await tx.sql`
    update stream_analytics s set changes = s.changes + 1
    from unnest(${minutes.map(([b]) => b)}::bigint[], ${minutes.map(([, m]) => m)}::timestamptz[]) as t(broadcaster_id, minute)
    where s.summarized_at is not null and s.broadcaster_id = t.broadcaster_id
      and t.minute >= date_trunc('minute', s.started_at) and t.minute < s.ended_at`
}

/** Adds to the running totals the metrics' counters read (`follows`, `revenue:EUR`…). */
export async function addToTotals(tx: Transaction, totals: Map<string, number>): Promise<void> {
  const entries = [...totals.entries()].filter(([, v]) => v !== 0).sort(([a], [b]) => (a < b ? -1 : 1))
  if (entries.length === 0) return
  await tx.sql`
    insert into analytics_totals (name, value)
    select * from unnest(${entries.map(([n]) => n)}::text[], ${entries.map(([, v]) => v)}::bigint[])
    on conflict (name) do update set value = analytics_totals.value + excluded.value`
}
