/**
 * Baseline of figure 3: the raw rate of `Bun.password.verify` on the login user's argon2id
 * hash (Bun's defaults), with BENCH_CONCURRENCY verifications in flight at once — as many as
 * wrk keeps requests in flight against the login route. Prints one JSON line.
 */
const hash = process.env.BENCH_HASH
const password = process.env.BENCH_PASSWORD
if (!hash || !password) throw new Error('BENCH_HASH and BENCH_PASSWORD are required')
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 50)
const seconds = Number(process.env.BENCH_SECONDS ?? 10)

/** Completions within `seconds` with `concurrency` loops; like wrk, in-flight work at the end is not counted. */
async function measure(seconds: number): Promise<{ rate: number; completed: number; p50ms: number; p99ms: number }> {
  const started = performance.now()
  const end = started + seconds * 1000
  let completed = 0
  const latencies: number[] = []
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now()
        const ok = await Bun.password.verify(password!, hash!)
        if (!ok) throw new Error('verify returned false')
        const done = performance.now()
        if (done <= end) {
          completed++
          latencies.push(done - t)
        }
      }
    }),
  )
  latencies.sort((a, b) => a - b)
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN
  return { rate: completed / seconds, completed, p50ms: at(0.5), p99ms: at(0.99) }
}

const warmup = Number(process.env.BENCH_WARMUP ?? 3)
if (warmup > 0) await measure(warmup)
console.log(JSON.stringify(await measure(seconds)))

export {}
