/**
 * Baseline of the streams directory figure: a bare `Bun.serve` (no Hono, no platform) whose
 * only route, `GET /streams/<id>`, does one raw postgres.js primary-key select on the seeded
 * `streams` table, same database, same pool size, and answers with the row as JSON.
 */
import postgres from 'postgres'

const url = process.env.DATABASE_URL
if (!url) throw new Error('DATABASE_URL is required')
const sql = postgres(url, { max: Number(process.env.DB_POOL_MAX ?? 10), onnotice: () => {} })

const server = Bun.serve({
  port: Number(process.env.PORT ?? 0),
  hostname: process.env.HOST ?? '127.0.0.1',
  fetch: async (request) => {
    const { pathname } = new URL(request.url)
    const id = /^\/streams\/(\d{1,18})$/.exec(pathname)?.[1]
    if (!id) return new Response(pathname === '/' ? 'ok' : 'not found', { status: pathname === '/' ? 200 : 404 })
    const [row] = await sql`
      select id::text, broadcaster_id::text, viewer_count, started_at from streams where id = ${id}`
    return row ? Response.json({ data: row }) : new Response('not found', { status: 404 })
  },
})
process.on('SIGTERM', async () => {
  await server.stop()
  await sql.end({ timeout: 5 })
  process.exit(0)
})
