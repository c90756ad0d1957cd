/**
 * Baseline of the heartbeats figure: a plain Hono app (no platform middleware, no validation)
 * whose route, at the heartbeat's path, does one ioredis `GET` on the same Redis and answers 204.
 */
import { Hono } from 'hono'
import Redis from 'ioredis'

const url = process.env.REDIS_URL
if (!url) throw new Error('REDIS_URL is required')
const redis = new Redis(url, { maxRetriesPerRequest: 1 })

const app = new Hono()
app.get('/', (c) => c.text('ok'))
app.post('/api/streams/:id/heartbeat', async (c) => {
  await redis.get(`bench:heartbeat:${c.req.param('id')}`)
  return c.body(null, 204)
})

const server = Bun.serve({ port: Number(process.env.PORT ?? 0), hostname: process.env.HOST ?? '127.0.0.1', fetch: app.fetch })
process.on('SIGTERM', async () => {
  await server.stop()
  await redis.quit()
  process.exit(0)
})
