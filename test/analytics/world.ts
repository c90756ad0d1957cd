/**
 * A randomized recorded history of every module's events (live sessions, viewer minutes, chat
 * minutes, follows, subscriptions, gifts, donations and refunds, redemptions, raids), and what
 * analytics must make of it, computed directly from the history, without the database.
 */
import fc from 'fast-check'
import type { EventEnvelope } from '../../src/platform/events/types.ts'
import { averageViewers, type SessionSummary } from '../../src/modules/analytics/sessions.ts'
import type { ChannelPeriod, RevenuePeriod } from '../../src/modules/analytics/rollups.ts'

const MINUTE = 60_000
/** Histories start two hours before a month ends, so days and months both roll over. */
const BASE = Date.UTC(2026, 10, 30, 22, 0, 0)
const TIERS = ['1000', '2000', '3000'] as const
type Tier = (typeof TIERS)[number]
const CURRENCIES = ['EUR', 'USD', 'JPY'] as const

const iso = (ms: number) => new Date(ms).toISOString()
const minuteOf = (ms: number) => Math.floor(ms / MINUTE) * MINUTE

/** What the arbitrary draws; ids are made unique per history by `namespace`. */
const shape = fc.record({
  sessions: fc.array(
    fc.record({ channel: fc.nat(1), gap: fc.integer({ min: 1, max: 60 }), length: fc.integer({ min: 1, max: 50 }), startSecond: fc.nat(59), endSecond: fc.nat(59) }),
    { maxLength: 4 },
  ),
  viewers: fc.array(
    fc.record({ session: fc.nat(), offset: fc.nat(), users: fc.uniqueArray(fc.nat(7), { maxLength: 6 }), anonymous: fc.nat(4), split: fc.boolean() }),
    { maxLength: 30 },
  ),
  chat: fc.array(
    fc.record({
      channel: fc.nat(1),
      minute: fc.nat(240),
      chatters: fc.uniqueArray(fc.record({ user: fc.nat(7), messages: fc.integer({ min: 1, max: 5 }) }), { selector: (c) => c.user, maxLength: 5 }),
      split: fc.boolean(),
    }),
    { maxLength: 20 },
  ),
  follows: fc.array(fc.record({ follower: fc.nat(7), channel: fc.nat(1), version: fc.integer({ min: 1, max: 3 }), second: fc.nat(240 * 60) }), { maxLength: 15 }),
  subscriptions: fc.array(
    fc.record({
      channel: fc.nat(1),
      user: fc.nat(7),
      tier: fc.constantFrom(...TIERS),
      gift: fc.boolean(),
      second: fc.nat(200 * 60),
      amount: fc.nat(2000),
      currency: fc.constantFrom(...CURRENCIES),
      after: fc.array(fc.record({ kind: fc.constantFrom('renewed', 'tier_changed', 'ended'), tier: fc.constantFrom(...TIERS), seconds: fc.nat(3600) }), { maxLength: 3 }),
    }),
    { maxLength: 8 },
  ),
  gifts: fc.array(fc.record({ channel: fc.nat(1), tier: fc.constantFrom(...TIERS), count: fc.integer({ min: 1, max: 5 }), second: fc.nat(240 * 60), amount: fc.nat(5000), currency: fc.constantFrom(...CURRENCIES), refundAfter: fc.option(fc.nat(7200)) }), { maxLength: 5 }),
  donations: fc.array(
    fc.record({ channel: fc.nat(1), second: fc.nat(240 * 60), amount: fc.integer({ min: 1, max: 10_000 }), currency: fc.constantFrom(...CURRENCIES), refundAfter: fc.option(fc.nat(7200)) }),
    { maxLength: 6 },
  ),
  redemptions: fc.array(fc.record({ channel: fc.nat(1), user: fc.nat(7), second: fc.nat(240 * 60) }), { maxLength: 8 }),
  raids: fc.array(fc.record({ from: fc.nat(1), viewers: fc.nat(50), second: fc.nat(240 * 60) }), { maxLength: 3 }),
})

export type History = {
  /** Every event once, in the order it happened. */
  events: EventEnvelope[]
  channels: string[]
  users: string[]
  streams: string[]
}

let namespaces = 0

/** A history whose ids (channels, users, streams, subscriptions…) no other history of this process uses. */
export const histories = shape.map((s): History => {
  const ns = ++namespaces * 100 + Math.floor(Math.random() * 1000) * 100_000
  const channel = (n: number) => String(ns + 1 + n)
  const user = (n: number) => String(ns + 10 + n)
  const events: EventEnvelope[] = []
  const emit = (type: string, at: number, payload: unknown) => events.push({ id: crypto.randomUUID(), type, occurredAt: iso(at), payload })
  const streams: { id: string; channel: string; start: number; end: number }[] = []

  const ends = [BASE, BASE]
  s.sessions.forEach((session, i) => {
    const start = minuteOf(ends[session.channel]!) + session.gap * MINUTE + session.startSecond * 1000
    const end = minuteOf(start) + session.length * MINUTE + session.endSecond * 1000
    ends[session.channel] = end + MINUTE
    const stream = { id: String(ns + 50 + i), channel: channel(session.channel), start, end }
    streams.push(stream)
    emit('streams.online.v1', start, { stream_id: stream.id, broadcaster_id: stream.channel, broadcaster_login: `c${stream.channel}`, started_at: iso(start) })
    emit('streams.offline.v1', end, { stream_id: stream.id, broadcaster_id: stream.channel, ended_at: iso(end), reason: 'publish_done' })
  })

  // One viewer-minutes publication per stream and minute, as streams' job makes them.
  const watched = new Set<string>()
  for (const v of s.viewers) {
    const stream = streams[v.session % Math.max(1, streams.length)]
    if (!stream) break
    const minutes = Math.max(1, Math.ceil((stream.end - minuteOf(stream.start)) / MINUTE))
    const minute = minuteOf(stream.start) + (v.offset % minutes) * MINUTE
    if (watched.has(`${stream.id}:${minute}`)) continue
    watched.add(`${stream.id}:${minute}`)
    const ids = v.users.map(user)
    const chunks = v.split && ids.length >= 2 ? [ids.slice(0, 1), ids.slice(1)] : [ids]
    chunks.forEach((userIds, i) =>
      emit('streams.viewer_minutes.v1', minute + MINUTE + 5000, {
        stream_id: stream.id,
        broadcaster_id: stream.channel,
        minute: iso(minute),
        user_ids: userIds,
        anonymous_viewers: i === 0 ? v.anonymous : 0,
        chunk: i + 1,
        chunks: chunks.length,
      }),
    )
  }

  const chatted = new Set<string>()
  for (const c of s.chat) {
    if (chatted.has(`${c.channel}:${c.minute}`)) continue
    chatted.add(`${c.channel}:${c.minute}`)
    const minute = BASE + c.minute * MINUTE
    const chatters = c.chatters.map((x) => ({ user_id: user(x.user), messages: x.messages }))
    const chunks = c.split && chatters.length >= 2 ? [chatters.slice(0, 1), chatters.slice(1)] : [chatters]
    chunks.forEach((part, i) =>
      emit('chat.activity.v1', minute + MINUTE, { broadcaster_id: channel(c.channel), minute: iso(minute), chatters: part, chunk: i + 1, chunks: chunks.length }),
    )
  }

  // A follow at a version is one fact: the first drawn wins.
  const followed = new Set<string>()
  for (const f of s.follows) {
    const key = `${f.follower}:${f.channel}:${f.version}`
    if (followed.has(key) || user(f.follower) === channel(f.channel)) continue
    followed.add(key)
    const at = BASE + f.second * 1000
    emit('users.followed.v1', at, { follower_id: user(f.follower), followed_id: channel(f.channel), followed_at: iso(at), version: f.version })
  }

  s.subscriptions.forEach((sub, i) => {
    let tier: Tier = sub.tier
    let at = BASE + sub.second * 1000
    const base = (version: number) => ({
      subscription_id: `${ns}-sub-${i}`,
      broadcaster_id: channel(sub.channel),
      user_id: user(sub.user),
      tier,
      is_gift: sub.gift,
      gifter_id: null,
      cumulative_months: version,
      streak_months: version,
      current_period_end: iso(Date.UTC(2099, 0, 1)),
      version,
    })
    const money = () => ({ amount: sub.gift ? 0 : sub.amount, currency: sub.currency, occurred_at: iso(at) })
    emit('subscriptions.subscription_started.v1', at, { ...base(1), message: '', ...money() })
    sub.after.forEach((next, k) => {
      at += next.seconds * 1000
      const version = k + 2
      if (next.kind === 'renewed') emit('subscriptions.subscription_renewed.v1', at, { ...base(version), message: '', ...money() })
      if (next.kind === 'tier_changed') {
        const from = tier
        tier = next.tier
        emit('subscriptions.subscription_tier_changed.v1', at, { ...base(version), from_tier: from, effective_at: iso(at) })
      }
      if (next.kind === 'ended') emit('subscriptions.subscription_ended.v1', at, { ...base(version), ended_at: iso(at), reason: 'canceled' })
    })
  })

  s.gifts.forEach((g, i) => {
    const at = BASE + g.second * 1000
    const recipients = Array.from({ length: g.count }, (_, k) => user(k))
    emit('subscriptions.gift_sent.v1', at, {
      gift_id: `${ns}-gift-${i}`,
      broadcaster_id: channel(g.channel),
      gifter_id: null,
      is_anonymous: true,
      is_community: g.count > 1,
      tier: g.tier,
      count: g.count,
      recipient_ids: recipients,
      gifter_total_gifts: 0,
      amount: g.amount,
      currency: g.currency,
      occurred_at: iso(at),
    })
    if (g.refundAfter !== null && g.amount > 0) {
      const refundAt = at + g.refundAfter * 1000
      emit('subscriptions.purchase_refunded.v1', refundAt, {
        refund_id: `${ns}-gift-refund-${i}`,
        payment_id: `${ns}-gift-payment-${i}`,
        broadcaster_id: channel(g.channel),
        kind: 'gift',
        tier: g.tier,
        amount: g.amount,
        currency: g.currency,
        occurred_at: iso(refundAt),
      })
    }
  })

  s.donations.forEach((d, i) => {
    const at = BASE + d.second * 1000
    const id = `${ns}-donation-${i}`
    emit('subscriptions.donation_received.v1', at, { donation_id: id, broadcaster_id: channel(d.channel), user_id: null, message: 'gg', amount: d.amount, currency: d.currency, occurred_at: iso(at) })
    if (d.refundAfter !== null) {
      // Refunded in two parts a second apart (one part when it is a single minor unit).
      const first = Math.ceil(d.amount / 2)
      const parts = [first, d.amount - first].filter((amount) => amount > 0)
      parts.forEach((amount, part) => {
        const refundAt = at + (d.refundAfter! + part) * 1000
        emit('subscriptions.donation_refunded.v1', refundAt, { donation_id: id, refund_id: `${id}-refund-${part}`, broadcaster_id: channel(d.channel), amount, currency: d.currency, occurred_at: iso(refundAt) })
      })
    }
  })

  s.redemptions.forEach((r, i) => {
    const at = BASE + r.second * 1000
    const redemption = {
      id: crypto.randomUUID(),
      broadcaster_id: channel(r.channel),
      user_id: user(r.user),
      user_input: '',
      status: 'UNFULFILLED',
      redeemed_at: iso(at),
      reward: { id: `${ns}-reward-${i}`, title: 'Hydrate', prompt: '', cost: 100 },
    }
    emit('subscriptions.redemption_added.v1', at, redemption)
    emit('subscriptions.redemption_updated.v1', at + 1000, { ...redemption, status: 'FULFILLED' })
  })

  s.raids.forEach((r, i) => {
    const at = BASE + r.second * 1000
    const from = channel(r.from)
    const to = channel(1 - r.from)
    emit('streams.raid_started.v1', at - 10_000, { raid_id: `${ns}-raid-${i}`, from_broadcaster_id: from, to_broadcaster_id: to, to_broadcaster_login: `c${to}`, completes_at: iso(at) })
    emit('streams.raid_completed.v1', at, { raid_id: `${ns}-raid-${i}`, from_broadcaster_id: from, to_broadcaster_id: to, to_broadcaster_login: `c${to}`, viewer_count: r.viewers })
  })

  events.sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt))
  return { events, channels: [channel(0), channel(1)], users: Array.from({ length: 8 }, (_, k) => user(k)), streams: streams.map((x) => x.id) }
})

/** A deterministic shuffle (mulberry32 from `seed`), so a failing order is reproduced by its seed. */
export function shuffled<T>(items: T[], seed: number): T[] {
  let a = seed >>> 0
  const random = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

/**
 * The history as a transport might deliver it: shuffled, every `nth` event twice (the same
 * envelope) and every `nth` again under a new event id (a producer's retry, a snapshot), in
 * batches of 1 to `maxBatch` events.
 */
export function deliveries(history: History, seed: number, nth = 3, maxBatch = 25): EventEnvelope[][] {
  const withDuplicates = history.events.flatMap((event, i) => [
    event,
    ...(i % nth === 0 ? [event] : []),
    ...(i % nth === 1 ? [{ ...event, id: crypto.randomUUID() }] : []),
  ])
  const order = shuffled(withDuplicates, seed)
  const batches: EventEnvelope[][] = []
  for (let i = 0, size = 1; i < order.length; i += size, size = (Math.abs(seed + i) % maxBatch) + 1) batches.push(order.slice(i, i + size))
  return batches
}

type Payload = Record<string, unknown> & { broadcaster_id: string }
type MinuteRow = Record<string, number | string>

const ZERO = {
  viewers: 0, anonymous_viewers: 0, chatters: 0, messages: 0, follows: 0,
  new_subs_1000: 0, new_subs_2000: 0, new_subs_3000: 0, gifted_subs_1000: 0, gifted_subs_2000: 0, gifted_subs_3000: 0,
  donations: 0, redemptions: 0, raids_in: 0, raids_out: 0, raid_viewers_in: 0, raid_viewers_out: 0,
}

/** What analytics must hold after `history`, each event counted once. */
export type Expected = {
  minutes: MinuteRow[]
  revenue: { broadcaster_id: string; minute: string; source: string; tier: string; currency: string; amount: number; payments: number }[]
  users: { user_id: string; broadcaster_id: string; day: string; watch_minutes: number; chat_messages: number }[]
  summaries: SessionSummary[]
  periods: Record<'day' | 'month', Record<string, ChannelPeriod[]>>
  revenuePeriods: Record<'day' | 'month', Record<string, RevenuePeriod[]>>
}

const byKey = <T>(map: Map<string, T>) => [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v)

/** Computes `Expected` straight from the history. */
export function expectedOf(history: History): Expected {
  const minutes = new Map<string, MinuteRow>()
  const revenue = new Map<string, Expected['revenue'][number]>()
  const users = new Map<string, Expected['users'][number]>()
  const chatterMinutes: { b: string; minute: number; user: string }[] = []
  const streamViewers = new Map<string, Set<string>>()
  const bump = (b: string, at: number, add: Partial<typeof ZERO>) => {
    const minute = iso(minuteOf(at))
    const key = `${b.padStart(20, '0')} ${minute}`
    const row = minutes.get(key) ?? { broadcaster_id: b, minute, ...ZERO }
    for (const [k, v] of Object.entries(add)) row[k] = (row[k] as number) + v
    minutes.set(key, row)
  }
  const money = (b: string, at: number, source: string, tier: string, currency: string, amount: number) => {
    const minute = iso(minuteOf(at))
    const key = [b.padStart(20, '0'), minute, source, tier, currency].join(' ')
    const row = revenue.get(key) ?? { broadcaster_id: b, minute, source, tier, currency, amount: 0, payments: 0 }
    row.amount += amount
    row.payments += 1
    revenue.set(key, row)
  }
  const day = (b: string, u: string, at: number, watch: number, chat: number) => {
    const d = iso(at).slice(0, 10)
    const key = `${u.padStart(20, '0')} ${d} ${b.padStart(20, '0')}`
    const row = users.get(key) ?? { user_id: u, broadcaster_id: b, day: d, watch_minutes: 0, chat_messages: 0 }
    row.watch_minutes += watch
    row.chat_messages += chat
    users.set(key, row)
  }
  const sessions = new Map<string, { b: string; start?: number; end?: number }>()

  for (const { type, payload, occurredAt } of history.events) {
    const p = payload as Payload
    const t = (field: string) => Date.parse(p[field] as string)
    switch (type) {
      case 'streams.online.v1':
        sessions.set(p.stream_id as string, { ...sessions.get(p.stream_id as string), b: p.broadcaster_id, start: t('started_at') })
        break
      case 'streams.offline.v1':
        sessions.set(p.stream_id as string, { ...sessions.get(p.stream_id as string), b: p.broadcaster_id, end: t('ended_at') })
        break
      case 'streams.viewer_minutes.v1': {
        const ids = [...new Set(p.user_ids as string[])]
        bump(p.broadcaster_id, t('minute'), { viewers: ids.length, anonymous_viewers: p.anonymous_viewers as number })
        const seen = streamViewers.get(p.stream_id as string) ?? new Set()
        for (const id of ids) {
          seen.add(id)
          day(p.broadcaster_id, id, t('minute'), 1, 0)
        }
        streamViewers.set(p.stream_id as string, seen)
        break
      }
      case 'chat.activity.v1': {
        const chatters = p.chatters as { user_id: string; messages: number }[]
        bump(p.broadcaster_id, t('minute'), { chatters: chatters.length, messages: chatters.reduce((a, c) => a + c.messages, 0) })
        for (const c of chatters) {
          chatterMinutes.push({ b: p.broadcaster_id, minute: minuteOf(t('minute')), user: c.user_id })
          day(p.broadcaster_id, c.user_id, t('minute'), 0, c.messages)
        }
        break
      }
      case 'users.followed.v1':
        bump(p.followed_id as string, t('followed_at'), { follows: 1 })
        break
      case 'subscriptions.subscription_started.v1':
      case 'subscriptions.subscription_renewed.v1':
        if (!p.is_gift) {
          if (type === 'subscriptions.subscription_started.v1') bump(p.broadcaster_id, t('occurred_at'), { [`new_subs_${p.tier}`]: 1 })
          money(p.broadcaster_id, t('occurred_at'), 'subscription', p.tier as string, p.currency as string, p.amount as number)
        }
        break
      case 'subscriptions.gift_sent.v1':
        bump(p.broadcaster_id, t('occurred_at'), { [`gifted_subs_${p.tier}`]: p.count as number })
        money(p.broadcaster_id, t('occurred_at'), 'gift', p.tier as string, p.currency as string, p.amount as number)
        break
      case 'subscriptions.donation_received.v1':
        bump(p.broadcaster_id, t('occurred_at'), { donations: 1 })
        money(p.broadcaster_id, t('occurred_at'), 'donation', '', p.currency as string, p.amount as number)
        break
      case 'subscriptions.donation_refunded.v1':
      case 'subscriptions.purchase_refunded.v1':
        money(p.broadcaster_id, t('occurred_at'), 'refund', '', p.currency as string, -(p.amount as number))
        break
      case 'subscriptions.redemption_added.v1':
        bump(p.broadcaster_id, t('redeemed_at'), { redemptions: 1 })
        break
      case 'streams.raid_completed.v1':
        bump(p.from_broadcaster_id as string, Date.parse(occurredAt), { raids_out: 1, raid_viewers_out: p.viewer_count as number })
        bump(p.to_broadcaster_id as string, Date.parse(occurredAt), { raids_in: 1, raid_viewers_in: p.viewer_count as number })
        break
    }
  }

  const minuteRows = byKey(minutes)
  const revenueRows = byKey(revenue)
  const userRows = byKey(users)
  const summaries: SessionSummary[] = []
  for (const [streamId, s] of [...sessions].sort(([a], [b]) => Number(a) - Number(b))) {
    if (s.start === undefined || s.end === undefined) continue
    const from = minuteOf(s.start)
    const inRange = (b: string, minute: string) => b === s.b && Date.parse(minute) >= from && Date.parse(minute) < s.end!
    const rows = minuteRows.filter((m) => inRange(m.broadcaster_id as string, m.minute as string))
    const sum = (f: (m: MinuteRow) => number) => rows.reduce((a, m) => a + f(m), 0)
    const n = (k: string) => (m: MinuteRow) => m[k] as number
    const watch = sum((m) => n('viewers')(m) + n('anonymous_viewers')(m))
    const viewed = rows.filter((m) => n('viewers')(m) + n('anonymous_viewers')(m) > 0).length
    const currencies = new Map<string, number>()
    for (const r of revenueRows.filter((r) => inRange(r.broadcaster_id, r.minute))) currencies.set(r.currency, (currencies.get(r.currency) ?? 0) + r.amount)
    summaries.push({
      stream_id: streamId,
      broadcaster_id: s.b,
      started_at: iso(s.start),
      ended_at: iso(s.end),
      duration_seconds: Math.floor((s.end - s.start) / 1000),
      peak_viewers: Math.max(0, ...rows.map((m) => n('viewers')(m) + n('anonymous_viewers')(m))),
      average_viewers: averageViewers(watch, viewed),
      unique_viewers: streamViewers.get(streamId)?.size ?? 0,
      watch_minutes: watch,
      chat_messages: sum(n('messages')),
      unique_chatters: new Set(chatterMinutes.filter((c) => inRange(c.b, iso(c.minute))).map((c) => c.user)).size,
      follows: sum(n('follows')),
      new_subs: sum((m) => n('new_subs_1000')(m) + n('new_subs_2000')(m) + n('new_subs_3000')(m)),
      gifted_subs: sum((m) => n('gifted_subs_1000')(m) + n('gifted_subs_2000')(m) + n('gifted_subs_3000')(m)),
      donations: sum(n('donations')),
      redemptions: sum(n('redemptions')),
      raids_in: sum(n('raids_in')),
      raids_out: sum(n('raids_out')),
      revenue: [...currencies].sort(([a], [b]) => (a < b ? -1 : 1)).map(([currency, amount]) => ({ currency, amount })),
    })
  }

  const periodOf = (g: 'day' | 'month', d: string) => (g === 'day' ? d : `${d.slice(0, 7)}-01`)
  const periods = { day: {}, month: {} } as Expected['periods']
  const revenuePeriods = { day: {}, month: {} } as Expected['revenuePeriods']
  for (const g of ['day', 'month'] as const) {
    for (const b of history.channels) {
      const dates = [...new Set(minuteRows.filter((m) => m.broadcaster_id === b).map((m) => periodOf(g, (m.minute as string).slice(0, 10))))].sort()
      periods[g][b] = dates.map((date) => {
        const rows = minuteRows.filter((m) => m.broadcaster_id === b && periodOf(g, (m.minute as string).slice(0, 10)) === date)
        const sum = (k: string) => rows.reduce((a, m) => a + (m[k] as number), 0)
        const viewersOf = (m: MinuteRow) => (m.viewers as number) + (m.anonymous_viewers as number)
        const people = userRows.filter((u) => u.broadcaster_id === b && periodOf(g, u.day) === date)
        const watch = rows.reduce((a, m) => a + viewersOf(m), 0)
        const viewed = rows.filter((m) => viewersOf(m) > 0).length
        return {
          date,
          minutes_viewed: viewed,
          peak_viewers: Math.max(0, ...rows.map(viewersOf)),
          average_viewers: averageViewers(watch, viewed),
          watch_minutes: watch,
          unique_viewers: new Set(people.filter((u) => u.watch_minutes > 0).map((u) => u.user_id)).size,
          unique_chatters: new Set(people.filter((u) => u.chat_messages > 0).map((u) => u.user_id)).size,
          chat_messages: sum('messages'),
          follows: sum('follows'),
          new_subs: TIERS.map((tier) => ({ tier, count: sum(`new_subs_${tier}`) })),
          gifted_subs: TIERS.map((tier) => ({ tier, count: sum(`gifted_subs_${tier}`) })),
          donations: sum('donations'),
          redemptions: sum('redemptions'),
          raids_in: sum('raids_in'),
          raids_out: sum('raids_out'),
        }
      })
      const money = new Map<string, RevenuePeriod>()
      for (const r of revenueRows.filter((r) => r.broadcaster_id === b)) {
        const date = periodOf(g, r.minute.slice(0, 10))
        const key = [date, r.source, r.tier, r.currency].join(' ')
        const row = money.get(key) ?? { date, source: r.source, tier: r.tier, currency: r.currency, amount: 0, payments: 0 }
        row.amount += r.amount
        row.payments += r.payments
        money.set(key, row)
      }
      revenuePeriods[g][b] = byKey(money)
    }
  }
  return { minutes: minuteRows, revenue: revenueRows, users: userRows, summaries, periods, revenuePeriods }
}
