/**
 * Real ingest end to end: Debian's nginx with libnginx-mod-rtmp calls the streams module back,
 * ffmpeg pushes a generated test pattern, and the directory, the HLS output and the key's
 * secrecy are checked on what the real servers did.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { startIngest, testIngestTools, pushTestPattern, type RunningIngest } from '../../deploy/ingest/test-ingest.ts'
import { streams } from '../../src/modules/streams/index.ts'
import { users } from '../../src/modules/users/index.ts'
import { publishedEvents } from '../../src/platform/testing/events.ts'
import { createTestPlatform, type TestPlatform } from '../../src/platform/testing/harness.ts'
import { freePort } from '../../src/platform/testing/processes.ts'
import { addBroadcaster, streamKeyOf, type Broadcaster } from './broadcasters.ts'

const tools = testIngestTools('streams ingest end to end (nginx-rtmp + ffmpeg)')
const SECRET = 'ingest-secret-for-tests-0123456789abcdef'
// nginx-rtmp updates every 3 s, so a cut faster than that is the control API's, not an update's.
const UPDATE_INTERVAL_SECONDS = 3
const UPDATE_TIMEOUT_SECONDS = 5

let t: TestPlatform
let ingest: RunningIngest
let ada: Broadcaster
let bob: Broadcaster
let appUrl: string
let mediaRoot: string

beforeAll(async () => {
  if (!tools) return
  const controlPort = freePort()
  mediaRoot = mkdtempSync(join(tmpdir(), 'ondes-media-'))
  t = await createTestPlatform([users, streams], {
    STREAMS_RECORDINGS_DIR: join(mediaRoot, 'recordings'),
    STREAMS_HLS_DIR: join(mediaRoot, 'hls'),
    STREAMS_THUMBNAIL_INTERVAL_MS: '500',
    STREAMS_MEDIA_DIR: join(mediaRoot, 'media'),
    STREAMS_INGEST_SECRET: SECRET,
    STREAMS_UPDATE_TIMEOUT_SECONDS: String(UPDATE_TIMEOUT_SECONDS),
    STREAMS_RTMP_CONTROL_URL: `http://127.0.0.1:${controlPort}/control`,
  })
  const port = freePort()
  t.platform.serve({ port, hostname: '127.0.0.1' })
  appUrl = `http://127.0.0.1:${port}`
  ingest = await startIngest(tools.nginx, { callbackUrl: appUrl, secret: SECRET, updateInterval: `${UPDATE_INTERVAL_SECONDS}s`, httpPort: controlPort, recordPath: join(mediaRoot, 'recordings'), hlsPath: join(mediaRoot, 'hls') })
  ada = await addBroadcaster(t, '201', 'ada_live')
  bob = await addBroadcaster(t, '202', 'bob_live')
}, 30_000)
afterAll(async () => {
  await ingest?.stop()
  await t?.close()
  if (mediaRoot) rmSync(mediaRoot, { recursive: true, force: true })
}, 30_000)

type Listed = { id: string; user_login: string; user_id: string; type: string; viewer_count: number; started_at: string; thumbnail_url: string }
const live = async (login: string): Promise<Listed | undefined> => {
  const res = await fetch(`${appUrl}/api/streams?user_login=${login}`)
  return ((await res.json()) as { data: Listed[] }).data[0]
}
async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await Bun.sleep(50)
  }
}
const clip = (query: string) => fetch(`${appUrl}/api/clips?${query}`, { method: 'POST', headers: { authorization: `Bearer ${ada.token}` } })
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))

describe.skipIf(!tools)('nginx-rtmp ingest', () => {
  test('a push with the key is live under the login within 2 s, as HLS named after the login; the key is nowhere', async () => {
    const key = await streamKeyOf(t, ada)
    const started = Date.now()
    const push = pushTestPattern(tools!.ffmpeg, `${ingest.rtmpUrl}/${key}`, 8)
    const listed = await waitFor('live in GET /api/streams', () => live('ada_live'), 4000)
    const tookMs = Date.now() - started
    expect(listed).toMatchObject({ user_id: ada.id, user_login: 'ada_live', type: 'live' })
    expect(tookMs).toBeLessThan(2000)

    const playlist = await waitFor(
      'an HLS playlist under the login',
      async () => {
        const res = await fetch(`${ingest.httpUrl}/hls/ada_live/index.m3u8`)
        const text = res.ok ? await res.text() : ''
        return text.includes('.ts') && text
      },
      10_000,
    )
    expect(playlist).toStartWith('#EXTM3U')
    expect(playlist).not.toContain(key)
    const files = filesUnder(ingest.hlsPath)
    expect(files.some((f) => f.startsWith('ada_live/'))).toBe(true)
    expect(files.filter((f) => f.includes(key) || f.includes(key.slice(-43)))).toEqual([])

    // The directory's thumbnail_url, filled in, is a JPEG of that size taken from the stream.
    const thumbnailUrl = `${appUrl}${(await live('ada_live'))!.thumbnail_url.replace('{width}', '320').replace('{height}', '180')}`
    const jpeg = await waitFor('a thumbnail', async () => {
      const res = await fetch(thumbnailUrl)
      return res.status === 200 && new Uint8Array(await res.arrayBuffer())
    }, 5000)
    expect([...jpeg.slice(0, 2)]).toEqual([0xff, 0xd8])
    const thumbnailFile = join(mediaRoot, 'thumbnail.jpg')
    await Bun.write(thumbnailFile, jpeg)
    const size = Bun.spawnSync([tools!.ffprobe, '-v', 'error', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', thumbnailFile])
    expect(size.stdout.toString().trim()).toBe('320,180')

    // A clip of the last 5 s, while live (asked for again while the HLS output is still shorter).
    const liveClip = await waitFor(
      'a live clip accepted',
      async () => {
        const res = await clip(`broadcaster_id=${ada.id}&duration=5`)
        if (res.status === 409) return undefined
        expect(res.status).toBe(202)
        return ((await res.json()) as { data: [{ id: string }] }).data[0].id
      },
      8000,
    )

    // The push ends: on_publish_done takes the stream offline.
    expect(await push.exited).toBe(0)
    await waitFor('offline after the push ends', async () => !(await live('ada_live')), 3000)
    const offline = await publishedEvents(t, streams, { type: 'streams.offline.v1' })
    expect(offline.map((e) => e.payload)).toEqual([expect.objectContaining({ stream_id: listed.id, reason: 'publish_done' })])
    expect(filesUnder(ingest.recordPath).concat(filesUnder(ingest.hlsPath)).filter((f) => f.includes(key.slice(-43)))).toEqual([])
    const log = await Bun.file(join(ingest.prefix, 'error.log')).text()
    expect(log).not.toContain(key.slice(-43))

    // The recording becomes a VOD: an MP4 with its index first, as long as the push.
    type Video = { id: string; stream_id: string; duration: string; type: string; url: string; user_login: string }
    const video = await waitFor(
      'a ready VOD',
      async () => ((await (await fetch(`${appUrl}/api/videos?user_id=${ada.id}`)).json()) as { data: Video[] }).data[0],
      20_000,
    )
    expect(video).toMatchObject({ stream_id: listed.id, type: 'archive', user_login: 'ada_live' })
    const seconds = Number(/^(\d+)s$/.exec(video.duration)?.[1])
    expect(seconds).toBeGreaterThanOrEqual(7)
    expect(seconds).toBeLessThanOrEqual(9)
    const mp4 = new Uint8Array(await (await fetch(`${appUrl}${video.url}`)).arrayBuffer())
    const text = new TextDecoder('latin1').decode(mp4)
    expect(text.slice(4, 8)).toBe('ftyp')
    expect(text.indexOf('moov')).toBeLessThan(text.indexOf('mdat'))
    const copy = join(mediaRoot, 'downloaded.mp4')
    await Bun.write(copy, mp4)
    const probed = Bun.spawnSync([tools!.ffprobe, '-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', copy])
    expect(Math.abs(Number(probed.stdout.toString().trim()) - 8)).toBeLessThan(1.2)
    const created = await publishedEvents(t, streams, { type: 'streams.vod_created.v1' })
    expect(created.map((e) => e.payload)).toEqual([expect.objectContaining({ vod_id: video.id, stream_id: listed.id })])

    // Clips from the live stream and from the VOD (ending 7 s in) are ready, ffprobe-readable, 5 s long (±1 s).
    const vodClipRes = await clip(`broadcaster_id=${ada.id}&duration=5&vod_id=${video.id}&vod_offset=7`)
    expect(vodClipRes.status).toBe(202)
    const vodClip = ((await vodClipRes.json()) as { data: [{ id: string }] }).data[0].id
    for (const id of [liveClip, vodClip]) {
      const ready = await waitFor(
        `clip ${id} ready`,
        async () => {
          const [found] = ((await (await fetch(`${appUrl}/api/clips?id=${id}`)).json()) as { data: { status: string; url: string; failure: string | null }[] }).data
          expect(found?.status).not.toBe('failed')
          return found?.status === 'ready' && found
        },
        15_000,
      )
      const file = join(mediaRoot, `clip-${id}.mp4`)
      await Bun.write(file, await (await fetch(`${appUrl}${ready.url}`)).arrayBuffer())
      const probed = Bun.spawnSync([tools!.ffprobe, '-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file])
      expect(Math.abs(Number(probed.stdout.toString().trim()) - 5)).toBeLessThanOrEqual(1)
      // Seekable: a byte range is answered 206 with those bytes; the seek counts no view, the download did.
      const seek = await fetch(`${appUrl}${ready.url}`, { headers: { range: 'bytes=8-15' } })
      expect(seek.status).toBe(206)
      expect(new Uint8Array(await seek.arrayBuffer())).toEqual((await Bun.file(file).bytes()).slice(8, 16))
      const [seen] = ((await (await fetch(`${appUrl}/api/clips?id=${id}`)).json()) as { data: { view_count: number; thumbnail_url: string }[] }).data
      expect(seen?.view_count).toBe(1)
      // Its preview, as Helix sizes one.
      const preview = await fetch(`${appUrl}${seen!.thumbnail_url}`)
      expect(preview.headers.get('content-type')).toBe('image/jpeg')
      const previewFile = join(mediaRoot, `clip-${id}.jpg`)
      await Bun.write(previewFile, await preview.arrayBuffer())
      const previewSize = Bun.spawnSync([tools!.ffprobe, '-v', 'error', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', previewFile])
      expect(previewSize.stdout.toString().trim()).toBe('480,272')
    }
  }, 45_000)

  test('a wrong key is refused and nothing goes live', async () => {
    const key = await streamKeyOf(t, bob)
    const wrong = `${key.slice(0, -4)}AAAA`
    const push = pushTestPattern(tools!.ffmpeg, `${ingest.rtmpUrl}/${wrong}`, 3)
    expect(await push.exited).not.toBe(0)
    expect(await live('bob_live')).toBeUndefined()
    const garbage = pushTestPattern(tools!.ffmpeg, `${ingest.rtmpUrl}/not-a-key`, 3)
    expect(await garbage.exited).not.toBe(0)
    const [row] = await t.sql.streams!`select count(*)::int as n from streams where broadcaster_id = ${bob.id}`
    expect(row?.n).toBe(0)
  }, 20_000)

  test('a second publisher on a live channel is refused; the first stays live', async () => {
    const key = await streamKeyOf(t, bob)
    const first = pushTestPattern(tools!.ffmpeg, `${ingest.rtmpUrl}/${key}`, 10)
    const listed = await waitFor('first push live', () => live('bob_live'), 4000)
    const second = pushTestPattern(tools!.ffmpeg, `${ingest.rtmpUrl}/${key}`, 3)
    expect(await second.exited).not.toBe(0)
    expect((await live('bob_live'))?.id).toBe(listed.id)

    // The key is reset while live: the stream is cut at once and the old key stops working.
    const reset = await fetch(`${appUrl}/api/streams/key/reset?broadcaster_id=${bob.id}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bob.token}` },
    })
    expect(reset.status).toBe(200)
    const resetAt = Date.now()
    expect(await live('bob_live')).toBeUndefined()
    // Cut through nginx-rtmp's control API at once, well before its next on_update.
    expect(await first.exited).not.toBe(0)
    expect(Date.now() - resetAt).toBeLessThan(1000)
    const again = pushTestPattern(tools!.ffmpeg, `${ingest.rtmpUrl}/${key}`, 3)
    expect(await again.exited).not.toBe(0)
    expect(await live('bob_live')).toBeUndefined()
  }, 30_000)

  test('a media server that dies mid-stream: the session goes offline when its updates stop', async () => {
    const key = await streamKeyOf(t, ada)
    const push = pushTestPattern(tools!.ffmpeg, `${ingest.rtmpUrl}/${key}`, 15)
    await waitFor('live', () => live('ada_live'), 4000)
    const killedAt = Date.now()
    await ingest.kill()
    await push.stop()
    await waitFor('offline after the updates stop', async () => !(await live('ada_live')), (UPDATE_TIMEOUT_SECONDS + 3) * 1000)
    expect(Date.now() - killedAt).toBeGreaterThan((UPDATE_TIMEOUT_SECONDS - 2) * 1000)
    const offline = await publishedEvents(t, streams, { type: 'streams.offline.v1' })
    expect(offline.at(-1)?.payload).toMatchObject({ reason: 'updates_stopped' })
  }, 30_000)
})
