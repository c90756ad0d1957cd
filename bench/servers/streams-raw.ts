/**
 * Baseline of figure "events": a raw Redis Streams round trip with ioredis, no Postgres at
 * all — what the event machinery would cost if outbox, relay and inbox were free. The same
 * entry as the transport writes (one `event` field holding the wire JSON, ~same size), the
 * same batching (XADDs of up to 500 in one MULTI, as the relay's claim; XREADGROUP COUNT 200,
 * then one XACK for all the entries read, as the consumer). Run as two processes:
 *
 *   BENCH_ROLE=consume  XREADGROUP + XACK until the producer's end marker; prints one JSON line
 *   BENCH_ROLE=produce  BENCH_MODE=flood: pipelines of BENCH_BATCH for BENCH_SECONDS (at most BENCH_MAX, 300 000, events)
 *                       BENCH_MODE=paced: BENCH_RATE single XADDs per second for BENCH_SECONDS
 *
 * Both take REDIS_URL, BENCH_STREAM and BENCH_GROUP (the driver creates the group first). The
 * producer first sends for BENCH_WARMUP seconds entries marked as warm-up, which the consumer
 * acknowledges and leaves out.
 * Times are wall-clock milliseconds with microseconds (timeOrigin + now), comparable across
 * processes on one machine.
 */
import Redis from 'ioredis'

const env = (name: string) => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is required`)
  return value
}
const redis = new Redis(env('REDIS_URL'), { maxRetriesPerRequest: 1 })
const stream = env('BENCH_STREAM')
const group = env('BENCH_GROUP')
const now = () => performance.timeOrigin + performance.now()
/** As the transport's MAXLEN: approximate trimming costs next to nothing. */
const MAX_LENGTH = 1_000_000

let sequence = 0
let warming = false
/** The wire JSON the transport writes, with the send time (and whether it is a warm-up's) in the payload. */
const entry = () =>
  JSON.stringify({
    id: crypto.randomUUID(),
    type: 'probe.pinged.v1',
    occurred_at: new Date().toISOString(),
    payload: { n: sequence++, t: now(), ...(warming ? { w: 1 } : {}) },
  })

async function produce(): Promise<Record<string, number>> {
  // Like the Ondes side, a warm-up first (connections made, code compiled); the consumer leaves it out.
  const warmup = Number(process.env.BENCH_WARMUP ?? 0)
  if (warmup > 0) {
    warming = true
    await send(warmup)
    warming = false
  }
  return send(Number(process.env.BENCH_SECONDS ?? 10), true)
}

async function send(seconds: number, last = false): Promise<Record<string, number>> {
  const mode = env('BENCH_MODE')
  const started = now()
  const end = started + seconds * 1000
  let sent = 0
  if (mode === 'flood') {
    const batch = Number(process.env.BENCH_BATCH ?? 500)
    // Bounded: entries stay in the stream until it is deleted, and this Redis is shared.
    const max = last ? Number(process.env.BENCH_MAX ?? 300_000) : 50_000
    // One MULTI in flight at a time, as the relay publishes one claimed batch at a time.
    while (now() < end && sent < max) {
      const multi = redis.multi()
      for (let i = 0; i < batch; i++) multi.xadd(stream, 'MAXLEN', '~', MAX_LENGTH, '*', 'event', entry())
      await multi.exec()
      sent += batch
    }
  } else if (mode === 'paced') {
    const rate = Number(process.env.BENCH_RATE ?? 500)
    const total = Math.round(rate * seconds)
    const inFlight: Promise<unknown>[] = []
    while (sent < total) {
      const due = Math.min(total, Math.floor(((now() - started) / 1000) * rate) + 1)
      for (; sent < due; sent++) inFlight.push(redis.xadd(stream, 'MAXLEN', '~', MAX_LENGTH, '*', 'event', entry()))
      await Bun.sleep(1)
    }
    await Promise.all(inFlight)
  } else {
    throw new Error(`BENCH_MODE: flood or paced, got ${mode}`)
  }
  const elapsed = (now() - started) / 1000
  if (last) await redis.xadd(stream, '*', 'end', String(sent))
  return { events: sent, seconds: elapsed, rate: sent / elapsed }
}

type Reply = [string, [string, string[]][]][] | null

async function consume(): Promise<Record<string, number>> {
  const blocking = new Redis(env('REDIS_URL'), { maxRetriesPerRequest: 1 })
  const deadline = now() + Number(process.env.BENCH_TIMEOUT_SECONDS ?? 120) * 1000
  const latencies: number[] = []
  let expected = Number.POSITIVE_INFINITY
  let firstSent = Number.POSITIVE_INFINITY
  let lastAck = 0
  while (latencies.length < expected) {
    if (now() > deadline) throw new Error(`timed out with ${latencies.length} of ${expected} events`)
    const reply = (await blocking.xreadgroup('GROUP', group, 'raw', 'COUNT', 200, 'BLOCK', 500, 'STREAMS', stream, '>')) as Reply
    const entries = reply?.[0]?.[1] ?? []
    if (entries.length === 0) continue
    const sentAt: number[] = []
    for (const [, fields] of entries) {
      if (fields[0] === 'end') {
        expected = Number(fields[1])
        continue
      }
      const { payload } = JSON.parse(fields[1] ?? '') as { payload: { t: number; w?: 1 } }
      if (!payload.w) sentAt.push(payload.t)
    }
    await redis.xack(stream, group, ...entries.map(([id]) => id))
    const acked = now()
    lastAck = acked
    for (const t of sentAt) {
      latencies.push(acked - t)
      if (t < firstSent) firstSent = t
    }
  }
  blocking.disconnect()
  latencies.sort((a, b) => a - b)
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN
  const span = (lastAck - firstSent) / 1000
  return { events: latencies.length, seconds: span, rate: latencies.length / span, p50ms: at(0.5), p95ms: at(0.95), p99ms: at(0.99), maxms: at(1) }
}

const role = env('BENCH_ROLE')
const result = role === 'produce' ? await produce() : role === 'consume' ? await consume() : undefined
if (!result) throw new Error(`BENCH_ROLE: produce or consume, got ${role}`)
await redis.quit()
console.log(JSON.stringify(result))
