/** VODs without a media server: the record_done callback, a recording ffmpeg cannot read, listing, seeking, views and deleting. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { streams } from '../../src/modules/streams/index.ts'
import { helixDuration } from '../../src/modules/streams/videos.routes.ts'
import { REMUX_ATTEMPTS } from '../../src/modules/streams/vods.ts'
import { users } from '../../src/modules/users/index.ts'
import { createTestPlatform, type TestPlatform } from '../../src/platform/testing/harness.ts'
import { testIngestTools } from '../../deploy/ingest/test-ingest.ts'
import { addBroadcaster, streamKeyOf, type Broadcaster } from './broadcasters.ts'

const tools = testIngestTools('VOD remuxing with ffmpeg')
// As record_unique names them: the login and the recording's start, in unix seconds.
const recordingName = (login: string) => `${login}-${Math.floor(Date.now() / 1000)}.flv`
const SECRET = 'vods-secret-0123456789abcdefghijklmnop'
let t: TestPlatform
let root: string
let ada: Broadcaster
let bob: Broadcaster
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'ondes-vods-'))
  mkdirSync(join(root, 'recordings'))
  t = await createTestPlatform([users, streams], {
    STREAMS_INGEST_SECRET: SECRET,
    STREAMS_RECORDINGS_DIR: join(root, 'recordings'),
    STREAMS_MEDIA_DIR: join(root, 'media'),
    STREAMS_RECORDING_SETTLED_SECONDS: '1',
  })
  ada = await addBroadcaster(t, '701', 'vod_ada')
  bob = await addBroadcaster(t, '702', 'vod_bob')
}, 30_000)
afterAll(async () => {
  await t.close()
  rmSync(root, { recursive: true, force: true })
}, 30_000)

const callback = (path: string, fields: Record<string, string>) =>
  t.request(`/api/ingest/rtmp/${SECRET}/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  })

async function recordingOf(broadcaster: Broadcaster, file: string, content: Uint8Array | string): Promise<void> {
  const key = await streamKeyOf(t, broadcaster)
  expect((await callback('publish', { call: 'publish', name: key, clientid: '1' })).status).toBe(302)
  expect((await callback('publish_done', { call: 'publish_done', name: key, clientid: '1' })).status).toBe(200)
  writeFileSync(join(root, 'recordings', file), content)
  expect((await callback('record_done', { call: 'record_done', name: broadcaster.login, path: `/elsewhere/${file}` })).status).toBe(200)
}

async function vodRow(file: string) {
  const [row] = await t.sql.streams!`select status, attempts, failure, file from vods where recording = ${file}`
  return row
}

test('durations read as Helix writes them', () => {
  expect([0, 8, 59, 60, 201, 3600, 3723].map(helixDuration)).toEqual(['0s', '8s', '59s', '1m0s', '3m21s', '1h0m0s', '1h2m3s'])
})

describe.skipIf(!tools)('remuxing', () => {
  test('a recording ffmpeg cannot read is retried, then failed with a reason, and leaves no file', async () => {
    const adaFile = recordingName('vod_ada')
    await recordingOf(ada, adaFile, 'not a video at all')
    const deadline = Date.now() + 15_000
    while ((await vodRow(adaFile))?.status === 'processing' && Date.now() < deadline) await Bun.sleep(100)
    const row = await vodRow(adaFile)
    expect(row).toMatchObject({ status: 'failed', attempts: REMUX_ATTEMPTS, file: null })
    expect(row?.failure).toContain('ffmpeg exited')
    expect(existsSync(join(root, 'media', 'vods')) ? readdirSync(join(root, 'media', 'vods')) : []).toEqual([])
    expect(((await (await t.request(`/api/videos?user_id=${ada.id}`)).json()) as { data: unknown[] }).data).toEqual([])
  }, 30_000)

  test('a real recording becomes a ready VOD; only its owner deletes it, with its files', async () => {
    const flv = join(root, 'source.flv')
    const made = Bun.spawnSync([tools!.ffmpeg, '-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10:duration=3', '-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'flv', flv])
    expect(made.exitCode).toBe(0)
    const bobFile = recordingName('vod_bob')
    await recordingOf(bob, bobFile, await Bun.file(flv).bytes())
    const deadline = Date.now() + 15_000
    while ((await vodRow(bobFile))?.status !== 'ready' && Date.now() < deadline) await Bun.sleep(100)
    const listed = (await (await t.request(`/api/videos?user_id=${bob.id}`)).json()) as { data: { id: string; duration: string }[] }
    expect(listed.data).toEqual([expect.objectContaining({ duration: '3s' })])
    const id = listed.data[0]!.id

    // Its thumbnail: a JPEG of the size asked for, from the VOD's first frame.
    const thumbnailUrl = (listed.data[0] as unknown as { thumbnail_url: string }).thumbnail_url
    expect(thumbnailUrl).toBe(`/api/videos/${id}/thumbnails/%{width}x%{height}.jpg`)
    const jpeg = await t.request(thumbnailUrl.replace('%{width}', '120').replace('%{height}', '90'))
    expect(jpeg.status).toBe(200)
    expect(jpeg.headers.get('content-type')).toBe('image/jpeg')
    const thumbnailFile = join(root, 'thumbnail.jpg')
    await Bun.write(thumbnailFile, await jpeg.arrayBuffer())
    const probedSize = Bun.spawnSync([tools!.ffprobe, '-v', 'error', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', thumbnailFile])
    expect(probedSize.stdout.toString().trim()).toBe('120,90')
    expect((await t.request(`/api/videos/${id}/thumbnails/8x8.jpg`)).status).toBe(400)
    expect((await t.request(`/api/videos/99999/thumbnails/120x90.jpg`)).status).toBe(404)

    // Players seek with Range: the bytes asked for, 206 with Content-Range.
    const url = `/api/videos/${id}/file`
    const whole = await t.request(url)
    expect(whole.status).toBe(200)
    expect(whole.headers.get('accept-ranges')).toBe('bytes')
    const bytes = new Uint8Array(await whole.arrayBuffer())
    const part = await t.request(url, { headers: { range: 'bytes=100-199' } })
    expect(part.status).toBe(206)
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${bytes.length}`)
    expect(part.headers.get('content-length')).toBe('100')
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(bytes.slice(100, 200))
    const tail = await t.request(url, { headers: { range: 'bytes=-10' } })
    expect(tail.headers.get('content-range')).toBe(`bytes ${bytes.length - 10}-${bytes.length - 1}/${bytes.length}`)
    expect(new Uint8Array(await tail.arrayBuffer())).toEqual(bytes.slice(-10))
    const beyond = await t.request(url, { headers: { range: `bytes=${bytes.length}-` } })
    expect(beyond.status).toBe(416)
    expect(beyond.headers.get('content-type')).toBe('application/problem+json')
    expect(beyond.headers.get('content-range')).toBe(`bytes */${bytes.length}`)
    // A malformed Range is ignored: the whole file.
    expect((await t.request(url, { headers: { range: 'pages=1-2' } })).status).toBe(200)
    const fromStart = await t.request(url, { headers: { range: 'bytes=0-' } })
    expect(fromStart.status).toBe(206)
    await fromStart.arrayBuffer()
    // A view per playback from the start (the whole file, the malformed Range's, bytes=0-), none per seek.
    const viewed = (await (await t.request(`/api/videos?id=${id}`)).json()) as { data: { view_count: number }[] }
    expect(viewed.data[0]?.view_count).toBe(3)

    expect((await t.request(`/api/videos?id=${id}`, { method: 'DELETE', token: ada.token })).status).toBe(404)
    const deleted = await t.request(`/api/videos?id=${id}`, { method: 'DELETE', token: bob.token })
    expect(((await deleted.json()) as { data: string[] }).data).toEqual([id])
    expect(readdirSync(join(root, 'media', 'vods'))).toEqual([])
    expect(existsSync(join(root, 'recordings', bobFile))).toBe(false)
    expect((await t.request(`/api/videos/${id}/file`)).status).toBe(404)
    expect((await t.request(`/api/videos/${id}/thumbnails/120x90.jpg`)).status).toBe(404)
  }, 30_000)
})

test.skipIf(!tools)('a finished recording whose on_record_done was lost (the app was down) becomes a VOD all the same', async () => {
  const carol = await addBroadcaster(t, '703', 'vod_carol')
  const key = await streamKeyOf(t, carol)
  expect((await callback('publish', { call: 'publish', name: key, clientid: '5' })).status).toBe(302)
  const file = recordingName('vod_carol')
  const made = Bun.spawnSync([tools!.ffmpeg, '-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10:duration=2', '-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'flv', join(root, 'recordings', file)])
  expect(made.exitCode).toBe(0)
  const deadline = Date.now() + 10_000
  while ((await vodRow(file))?.status !== 'ready' && Date.now() < deadline) await Bun.sleep(100)
  expect(await vodRow(file)).toMatchObject({ status: 'ready' })
}, 20_000)

test('a recording name the media server would not write is refused', async () => {
  const res = await callback('record_done', { call: 'record_done', name: 'vod_ada', path: '/x/../../etc/passwd' })
  expect(res.status).toBe(400)
  expect((await callback('record_done', { name: 'vod_ada', path: 'x.flv' })).status).toBe(400)
})
