/**
 * POST /api/streams/{id}/heartbeat (anonymous viewer sessions, a new one each beat, on random
 * live streams; viewers in Redis) through the whole app — a native route Bun's router serves
 * ahead of Hono (`src/platform/http/native-routes.ts`): live-ids check, the body checked
 * against its zod schema, then the per-address rate limit's hit and the viewer sets' writes in
 * one EVALSHA (`consumeThen`, shared by the beats of one event-loop turn) — against a plain Hono
 * route doing one ioredis GET on the same redis-server (the bench's own).
 */
import { cleanEnv, compare, log, report, startServer, throughputRow, type Row } from './lib.ts'
import { startStreamsApp, type StreamsApp } from './streams-fixture.ts'

export const TARGET = 0.6

export async function heartbeats(streams: StreamsApp): Promise<Row> {
  process.env.BENCH_LIVE_FIRST = String(streams.liveIds.first)
  process.env.BENCH_LIVE_LAST = String(streams.liveIds.last)
  log('heartbeats: POST /api/streams/{id}/heartbeat against a Hono route doing one ioredis GET')
  const baseline = await startServer('baseline-hono-redis', ['bench/servers/hono-redis.ts'], cleanEnv({ REDIS_URL: streams.redis.url }))
  try {
    const c = await compare(
      { label: 'Ondes POST heartbeat', url: streams.app.url, script: 'heartbeat.lua', pid: streams.app.child.proc.pid },
      { label: 'Hono + ioredis GET', url: baseline.url, script: 'heartbeat.lua', pid: baseline.child.proc.pid },
    )
    return throughputRow('8. POST /api/streams/{id}/heartbeat (Redis viewers)', c, TARGET, 'Hono + one ioredis GET')
  } finally {
    await baseline.child.stop()
  }
}

if (import.meta.main) {
  const streams = await startStreamsApp()
  try {
    report([await heartbeats(streams)])
  } finally {
    await streams.stop()
  }
}
