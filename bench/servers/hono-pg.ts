/**
 * Baseline of figure 1: a plain Hono app (no platform middleware, no validation, no drizzle)
 * whose route does one raw postgres.js primary-key select on the same `users` table, same
 * database, same pool size, and answers with the row as JSON.
 */
import { Hono } from 'hono'
import postgres from 'postgres'

const url = process.env.DATABASE_URL
if (!url) throw new Error('DATABASE_URL is required')
const sql = postgres(url, { max: Number(process.env.DB_POOL_MAX ?? 10), onnotice: () => {} })

const app = new Hono()
app.get('/', (c) => c.text('ok'))
app.get('/api/users/:id', async (c) => {
  const [row] = await sql`
    select id, login, display_name, description, profile_image_url, offline_image_url, broadcaster_type, created_at
    from users where id = ${c.req.param('id')}`
  if (!row) return c.json({ error: 'not found' }, 404)
  return c.json({ data: row })
})

const server = Bun.serve({ port: Number(process.env.PORT ?? 0), hostname: process.env.HOST ?? '127.0.0.1', fetch: app.fetch })
process.on('SIGTERM', async () => {
  await server.stop()
  await sql.end({ timeout: 5 })
  process.exit(0)
})
