/**
 * A client that sends nothing but hostile request bodies to the server at `argv[2]` for
 * `argv[3]` seconds, in a process of its own so its work never shares the server's event loop:
 * 50 MB bodies announced by Content-Length, 50 MB streamed in chunks with none, and JSON of
 * 500 000 keys, `HOSTILE_CONCURRENCY` of each kind in flight to the anonymous routes that take bodies.
 * Prints `sending` once its bodies are built, then the statuses it got, counted (0: the server cut the connection).
 * Run by src/modules/users/body-limits.test.ts: `bun src/platform/testing/hostile-bodies.ts http://127.0.0.1:PORT 3`.
 */
/** Requests of each kind the client keeps in flight. */
export const HOSTILE_CONCURRENCY = 8
type Body = NonNullable<RequestInit['body']>
const ROUTES = ['/api/auth/register', '/api/auth/login', '/api/auth/refresh']

/** Sends hostile bodies to `base` for `seconds` from `started()`; the statuses seen, counted (0: the connection cut). */
async function sendHostileBodies(base: string, seconds: number, started: () => void): Promise<Record<string, number>> {
  const big = new Uint8Array(50 * 1024 * 1024).fill(0x20)
  const manyKeys = `{${Array.from({ length: 500_000 }, (_, i) => `"k${i}":0`).join(',')}}`
  const chunk = new Uint8Array(64 * 1024).fill(0x20)
  const streamed = () => {
    let sent = 0
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= big.length) return controller.close()
        sent += chunk.length
        controller.enqueue(chunk)
      },
    })
  }
  const statuses = new Map<number, number>()
  const send = async (body: () => Body, i: number): Promise<void> => {
    while (performance.now() < deadline) {
      const url = `${base}${ROUTES[i++ % ROUTES.length]}`
      const status = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body() })
        .then(async (res) => (await res.arrayBuffer(), res.status))
        .catch(() => 0)
      statuses.set(status, (statuses.get(status) ?? 0) + 1)
    }
  }
  const kinds: (() => Body)[] = [() => big, () => manyKeys, streamed]
  const deadline = performance.now() + seconds * 1000
  started()
  await Promise.all(kinds.flatMap((kind) => Array.from({ length: HOSTILE_CONCURRENCY }, (_, i) => send(kind, i))))
  return Object.fromEntries(statuses)
}

if (import.meta.main) {
  const [base, seconds = '3'] = process.argv.slice(2)
  if (!base) throw new Error('usage: hostile-bodies.ts <base url> [seconds]')
  const statuses = await sendHostileBodies(base, Number(seconds), () => console.log('sending'))
  console.log(JSON.stringify(statuses))
}
