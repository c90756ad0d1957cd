/**
 * Baseline of figure "events": how many of the producer's writes this Postgres commits when
 * nothing else runs — raw postgres.js, no drizzle, no zod, no NOTIFY, no relay, no consumer.
 * The same transactions as bench/servers/events-producer.ts floods (BENCH_WORKERS loops of
 * BENCH_BATCH events per transaction, each event an outbox row plus its change row), on a
 * database of the same schema, with a pool of DB_POOL_MAX. The whole pipeline writes each
 * event three more times (relay's mark, consumer's inbox and effect), so this is a ceiling of
 * the producer side alone. Prints one JSON line.
 */
import postgres from 'postgres'

const url = process.env.DATABASE_URL
if (!url) throw new Error('DATABASE_URL is required')
const sql = postgres(url, { max: Number(process.env.DB_POOL_MAX ?? 10), onnotice: () => {} })
const seconds = Number(process.env.BENCH_SECONDS ?? 10)
const workers = Number(process.env.BENCH_WORKERS ?? 4)
const batch = Number(process.env.BENCH_BATCH ?? 10)

let sequence = 0
const started = performance.now()
const end = started + seconds * 1000
let events = 0
await Promise.all(
  Array.from({ length: workers }, async () => {
    while (performance.now() < end) {
      await sql.begin(async (tx) => {
        for (let i = 0; i < batch; i++) {
          const n = sequence++
          const id = crypto.randomUUID()
          await tx`insert into outbox (event_id, type, payload) values (${id}, 'probe.pinged.v1', ${JSON.stringify({ n })}::jsonb)`
          await tx`insert into pings (event_id, n, replica) values (${id}, ${n}, 'source')`
        }
      })
      events += batch
    }
  }),
)
const elapsed = (performance.now() - started) / 1000
await sql.end({ timeout: 5 })
console.log(JSON.stringify({ events, seconds: elapsed, rate: events / elapsed }))
