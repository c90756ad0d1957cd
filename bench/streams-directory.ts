/**
 * GET /api/streams?first=20 (the live directory's first page: 10 000 channels, 1 000 live)
 * through the whole app, against a bare Bun.serve doing one raw postgres.js primary-key select
 * on the same `streams` table.
 */
import { cleanEnv, compare, log, report, SETTINGS, startServer, throughputRow, type Row } from './lib.ts'
import { startStreamsApp, type StreamsApp } from './streams-fixture.ts'

export const TARGET = 0.8

export async function streamsDirectory(streams: StreamsApp): Promise<Row> {
  process.env.BENCH_LIVE_FIRST = String(streams.liveIds.first)
  process.env.BENCH_LIVE_LAST = String(streams.liveIds.last)
  log('streams directory: GET /api/streams?first=20 against a raw primary-key select')
  const baseline = await startServer(
    'baseline-bun-pg',
    ['bench/servers/bun-pg.ts'],
    cleanEnv({ DATABASE_URL: streams.streamsUrl, DB_POOL_MAX: String(SETTINGS.poolMax) }),
  )
  try {
    const c = await compare(
      { label: 'Ondes GET /api/streams?first=20', url: `${streams.app.url}/api/streams?first=20`, pid: streams.app.child.proc.pid },
      { label: 'Bun.serve + raw postgres.js', url: baseline.url, script: 'stream-by-id.lua', pid: baseline.child.proc.pid },
    )
    return throughputRow('7. GET /api/streams?first=20 (10 000 channels, 1 000 live)', c, TARGET, 'Bun.serve + raw postgres.js PK select')
  } finally {
    await baseline.child.stop()
  }
}

if (import.meta.main) {
  const streams = await startStreamsApp()
  try {
    report([await streamsDirectory(streams)])
  } finally {
    await streams.stop()
  }
}
