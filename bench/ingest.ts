/**
 * Ingest latency with the real parts: ffmpeg pushes a test pattern to Debian's nginx-rtmp
 * (the shipped config, rendered on loopback ports, calling the app back), through a relay that
 * notes each push's first and last bytes. For BENCH_INGEST_PUSHES pushes, one after another on
 * seeded channels: first RTMP packet → the stream listed by GET /api/streams?user_login=, and
 * last packet → no longer listed, polled every 5 ms.
 */
import { join } from 'node:path'
import { pushTestPattern, startIngest, testIngestTools } from '../deploy/ingest/test-ingest.ts'
import { fmtMs, log, report, type Row } from './lib.ts'
import { startRtmpRelay } from './rtmp-proxy.ts'
import { FIRST_CHANNEL, INGEST_SECRET, startStreamsApp, type StreamsApp } from './streams-fixture.ts'
import { benchTokens } from './tokens.ts'

export const INGEST = {
  pushes: Number(process.env.BENCH_INGEST_PUSHES ?? 20),
  /** Seconds of test pattern per push. */
  seconds: Number(process.env.BENCH_INGEST_SECONDS ?? 3),
}
/** The acceptance test: live within 2 s of the push, offline within 3 s of its end. */
const LIVE_TARGET_MS = 2000
const OFFLINE_TARGET_MS = 3000
const POLL_MS = 5

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN

async function listed(appUrl: string, login: string): Promise<boolean> {
  const res = await fetch(`${appUrl}/api/streams?user_login=${login}`)
  return ((await res.json()) as { data: unknown[] }).data.length > 0
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await Bun.sleep(POLL_MS)
  }
  return performance.now()
}

/** Seeded channels that are not live: every tenth one is. */
const channelNumbers = (count: number) => Array.from({ length: count }, (_, i) => i + 1 + Math.floor(i / 9))

export async function ingest(streams: StreamsApp): Promise<Row[]> {
  const tools = testIngestTools('bench/ingest.ts')
  if (!tools) throw new Error('the ingest figure needs nginx with libnginx-mod-rtmp and ffmpeg')
  const server = await startIngest(tools.nginx, {
    callbackUrl: streams.app.url,
    secret: INGEST_SECRET,
    updateInterval: '30s',
    recordPath: join(streams.mediaDir, 'recordings'),
    hlsPath: join(streams.mediaDir, 'hls'),
  })
  const relay = startRtmpRelay(Number(new URL(server.rtmpUrl.replace('rtmp:', 'http:')).port))
  const token = await benchTokens(streams.app.dataDir)
  const live: number[] = []
  const offline: number[] = []
  try {
    log(`ingest: ${INGEST.pushes} pushes of ${INGEST.seconds} s through nginx-rtmp, one after another`)
    for (const [i, n] of channelNumbers(INGEST.pushes).entries()) {
      const broadcasterId = String(FIRST_CHANNEL + n)
      const login = `channel${String(n).padStart(5, '0')}`
      const keyRes = await fetch(`${streams.app.url}/api/streams/key?broadcaster_id=${broadcasterId}`, {
        headers: { authorization: `Bearer ${await token(broadcasterId)}` },
      })
      if (keyRes.status !== 200) throw new Error(`stream key of ${login}: ${keyRes.status} ${await keyRes.text()}`)
      const key = ((await keyRes.json()) as { data: [{ stream_key: string }] }).data[0].stream_key
      const connections = relay.connections.length
      const push = pushTestPattern(tools.ffmpeg, `rtmp://127.0.0.1:${relay.port}/ingest/${key}`, INGEST.seconds)
      const liveAt = await until(`push ${i + 1} live`, () => listed(streams.app.url, login), 10_000)
      const connection = relay.connections[connections]
      if (!connection?.firstByteAt) throw new Error(`push ${i + 1}: no connection through the relay`)
      live.push(liveAt - connection.firstByteAt)
      const code = await push.exited
      if (code !== 0) throw new Error(`push ${i + 1}: ffmpeg exited ${code}: ${push.stderr()}`)
      const offlineAt = await until(`push ${i + 1} offline`, async () => !(await listed(streams.app.url, login)), 10_000)
      offline.push(offlineAt - connection.lastByteAt!)
      log(`push ${i + 1}: live ${fmtMs(live.at(-1))} after its first packet, offline ${fmtMs(offline.at(-1))} after its last`)
    }
  } finally {
    relay.stop()
    await server.stop()
  }
  const row = (figure: string, values: number[], targetMs: number): Row => {
    const sorted = [...values].sort((a, b) => a - b)
    const p99 = quantile(sorted, 0.99)
    return {
      figure,
      ondes: `p50 ${fmtMs(quantile(sorted, 0.5))}, p99 ${fmtMs(p99)}`,
      baseline: '—',
      ratio: '',
      target: `p99 ≤ ${fmtMs(targetMs)}`,
      met: p99 <= targetMs,
      notes: [`${values.length} pushes (ms): ${values.map((v) => v.toFixed(0)).join(', ')}`],
    }
  }
  return [
    row('9a. ingest: first RTMP packet → live in GET /api/streams', live, LIVE_TARGET_MS),
    row('9b. ingest: last RTMP packet → gone from GET /api/streams', offline, OFFLINE_TARGET_MS),
  ]
}

if (import.meta.main) {
  const streams = await startStreamsApp()
  try {
    report(await ingest(streams))
  } finally {
    await streams.stop()
  }
}
