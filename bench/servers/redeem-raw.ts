/**
 * Baseline of the redemptions figure: a bare `Bun.serve` answering the redemption route's path
 * with the heart of a redemption in raw postgres.js — one transaction of the conditional
 * `UPDATE channel_points … WHERE balance >= cost` and the ledger INSERT — on the same database,
 * with the same pool size. The viewer is the `x-bench-user` header (no token check).
 */
import postgres from 'postgres'

const url = process.env.DATABASE_URL
if (!url) throw new Error('DATABASE_URL is required')
const sql = postgres(url, { max: Number(process.env.DB_POOL_MAX ?? 10), onnotice: () => {} })
const COST = 1

const server = Bun.serve({
  port: Number(process.env.PORT ?? 0),
  hostname: process.env.HOST ?? '127.0.0.1',
  fetch: async (request) => {
    const url = new URL(request.url)
    if (request.method === 'GET' && url.pathname === '/') return new Response('ok')
    const broadcasterId = url.searchParams.get('broadcaster_id')
    const userId = request.headers.get('x-bench-user')
    if (request.method !== 'POST' || !broadcasterId || !userId) return new Response('not found', { status: 404 })
    const balance = await sql.begin(async (tx) => {
      const [row] = await tx`
        update channel_points set balance = balance - ${COST}
        where broadcaster_id = ${broadcasterId} and user_id = ${userId} and balance >= ${COST}
        returning balance`
      if (!row) return undefined
      await tx`
        insert into channel_points_ledger (broadcaster_id, user_id, delta, reason, reference)
        values (${broadcasterId}, ${userId}, ${-COST}, 'redemption', ${crypto.randomUUID()})`
      return Number(row.balance)
    })
    return balance === undefined ? new Response('insufficient', { status: 409 }) : Response.json({ data: [{ balance }] }, { status: 201 })
  },
})
process.on('SIGTERM', async () => {
  await server.stop()
  await sql.end({ timeout: 5 })
  process.exit(0)
})
