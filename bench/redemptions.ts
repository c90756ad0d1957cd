/**
 * POST /api/channel-points/custom-rewards/redemptions on distinct balances — a random one of
 * BENCH_REDEMPTION_USERS viewers × BENCH_REDEMPTION_CHANNELS channels (one reward each, cost 1),
 * 50 connections — through the whole app (token, zod, then one statement: reward locked, points
 * spent, redemption row, ledger entry, outbox event; the relay woken in process, no NOTIFY; the
 * bearer's token verified once, then remembered), against a bare Bun.serve doing the
 * conditional UPDATE of the balance and the ledger INSERT in one raw postgres.js transaction on
 * the same database. Afterwards every balance must still be the sum of its ledger.
 */
import { resolve } from 'node:path'
import postgres from 'postgres'
import { unbalanced } from '../test/subscriptions/channel-points.ts'
import { startOndesApp, type OndesApp } from './fixture.ts'
import { cleanEnv, compare, log, LOG_DIR, report, SETTINGS, startServer, throughputRow, type Row } from './lib.ts'
import { benchTokens } from './tokens.ts'

export const TARGET = 0.5
export const REDEMPTIONS = {
  channels: Number(process.env.BENCH_REDEMPTION_CHANNELS ?? 1000),
  users: Number(process.env.BENCH_REDEMPTION_USERS ?? 50),
}
const FIRST_CHANNEL = 1_000_000
const FIRST_USER = 2_000_000
/** Enough for any run: a redemption costs 1. */
const SEED_BALANCE = 1_000_000_000

async function seed(url: string): Promise<{ rewards: { broadcaster_id: string; id: string }[] }> {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  try {
    const rewards = await sql<{ broadcaster_id: string; id: string }[]>`
      insert into custom_rewards (broadcaster_id, title, cost)
      select ${FIRST_CHANNEL} + i, 'Hydrate', 1 from generate_series(1, ${REDEMPTIONS.channels}) as i
      returning broadcaster_id::text, id::text`
    await sql`
      insert into channel_points (broadcaster_id, user_id, balance)
      select ${FIRST_CHANNEL} + c, ${FIRST_USER} + u, ${SEED_BALANCE}
      from generate_series(1, ${REDEMPTIONS.channels}) as c, generate_series(1, ${REDEMPTIONS.users}) as u`
    await sql`
      insert into channel_points_ledger (broadcaster_id, user_id, delta, reason, reference)
      select broadcaster_id, user_id, balance, 'bench', 'seed' from channel_points`
    await sql`vacuum analyze`
    return { rewards }
  } finally {
    await sql.end()
  }
}

export async function redemptions(app: OndesApp): Promise<Row> {
  const url = app.databaseUrls.subscriptions
  if (!url) throw new Error('the build has no subscriptions module')
  log(`redemptions: seeding ${REDEMPTIONS.channels} rewards and ${REDEMPTIONS.channels * REDEMPTIONS.users} balances`)
  const { rewards } = await seed(url)
  const token = await benchTokens(app.dataDir)
  const tokens = await Promise.all(Array.from({ length: REDEMPTIONS.users }, (_, u) => token(String(FIRST_USER + u + 1))))
  process.env.BENCH_TOKENS_FILE = resolve(LOG_DIR, 'redemption-tokens.txt')
  process.env.BENCH_REWARDS_FILE = resolve(LOG_DIR, 'redemption-rewards.txt')
  process.env.BENCH_FIRST_USER = String(FIRST_USER + 1)
  await Bun.write(process.env.BENCH_TOKENS_FILE, `${tokens.join('\n')}\n`)
  await Bun.write(process.env.BENCH_REWARDS_FILE, `${rewards.map((r) => `${r.broadcaster_id} ${r.id}`).join('\n')}\n`)

  const baseline = await startServer(
    'baseline-redeem-raw',
    ['bench/servers/redeem-raw.ts'],
    cleanEnv({ DATABASE_URL: url, DB_POOL_MAX: String(SETTINGS.poolMax) }),
  )
  try {
    const c = await compare(
      { label: 'Ondes POST redemption', url: app.url, script: 'redemption.lua', pid: app.child.proc.pid },
      { label: 'raw UPDATE + ledger INSERT', url: baseline.url, script: 'redemption.lua', pid: baseline.child.proc.pid },
    )
    const row = throughputRow('10. POST /api/channel-points/custom-rewards/redemptions, distinct balances', c, TARGET, 'raw postgres.js UPDATE … WHERE balance >= cost + ledger INSERT, one transaction')
    const sql = postgres(url, { max: 1, onnotice: () => {} })
    try {
      const off = await unbalanced(sql)
      const [counts] = await sql<{ redemptions: number; negative: number }[]>`
        select (select count(*)::int from redemptions) as redemptions, (select count(*)::int from channel_points where balance < 0) as negative`
      if (off.length > 0 || counts!.negative > 0) throw new Error(`the books disagree after the run: ${JSON.stringify(off.slice(0, 5))}`)
      row.notes.push(`${counts!.redemptions} redemptions written; every balance is still the sum of its ledger`)
    } finally {
      await sql.end()
    }
    return row
  } finally {
    await baseline.child.stop()
  }
}

if (import.meta.main) {
  const app = await startOndesApp({ users: false })
  try {
    report([await redemptions(app)])
  } finally {
    await app.stop()
  }
}
