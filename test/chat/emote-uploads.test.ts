/**
 * Emote uploads as a dashboard's form sends them (multipart/form-data): one image scaled here to
 * Twitch's 28, 56 and 112 px, or the three sizes drawn apart; each scale served at its own URL,
 * decoded to check its size; every refusal a problem+json that wrote nothing, under random
 * multipart bodies too.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import sharp from 'sharp'
import { harmOf } from '../../src/platform/testing/harm.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { startChat, type ChatFixture } from './core-fixture.ts'
import { gif, png, uploadEmote, type UploadForm } from './emote-fixture.ts'

/** Small enough that a file past it is cheap to build; the three sizes take half each. */
const MAX_BYTES = 16_384
const SIDES = { '1.0': 28, '2.0': 56, '3.0': 112 } as const

let f: ChatFixture
let caster: { id: string; token: string }
let admin: string
beforeAll(async () => {
  f = await startChat({ CHAT_EMOTE_MAX_BYTES: String(MAX_BYTES) })
  const id = await f.user('uploadcaster')
  caster = { id, token: await accessTokenFor(f.t, id, [], { login: 'uploadcaster' }) }
  admin = await accessTokenFor(f.t, await f.user('uploadadmin'), ['admin'], { login: 'uploadadmin' })
}, 60_000)
afterAll(() => f.close(), 30_000)

type HelixEmote = { id: string; name: string; images: Record<'url_1x' | 'url_2x' | 'url_4x', string>; tier: string; emote_type: string; format: string[]; scale: string[]; theme_mode: string[] }
const channelPath = () => `/api/chat/emotes?broadcaster_id=${caster.id}`
const added = async (res: Response) => {
  expect(res.status).toBe(201)
  return ((await res.json()) as { data: HelixEmote[] }).data[0]!
}
const rows = async () => {
  const [counts] = await f.t.sql.chat!`select (select count(*) from emotes)::int as emotes, (select count(*) from emote_images)::int as images`
  return counts
}

/** One image as served, decoded: its type, side, frames, and the headers a cache reads. */
async function served(id: string, format: string, scale: keyof typeof SIDES, theme = 'dark') {
  const res = await f.t.request(`/api/chat/emotes/${id}/${format}/${theme}/${scale}`)
  expect(res.status).toBe(200)
  const bytes = Buffer.from(await res.arrayBuffer())
  const { format: decoded, width, height, pages } = await sharp(bytes).metadata()
  return { contentType: res.headers.get('content-type'), decoded, width, height, frames: pages ?? 1, etag: res.headers.get('etag'), cache: res.headers.get('cache-control'), bytes }
}

describe('uploading an emote', () => {
  test('one static PNG becomes three PNGs of 28, 56 and 112 px, each at its URL with an ETag and immutable caching', async () => {
    const emote = await added(await uploadEmote(f, channelPath(), caster.token, { name: 'upStill', tier: '1000', image: await png(400) }))
    expect(emote).toMatchObject({ name: 'upStill', tier: '1000', emote_type: 'subscriptions', format: ['static'], scale: ['1.0', '2.0', '3.0'], theme_mode: ['light', 'dark'] })
    for (const [scale, side] of Object.entries(SIDES) as [keyof typeof SIDES, number][]) {
      const image = await served(emote.id, 'static', scale)
      expect(image).toMatchObject({ contentType: 'image/png', decoded: 'png', width: side, height: side, frames: 1, cache: 'public, max-age=31536000, immutable' })
      expect(image.etag).toMatch(/^"[^"]+"$/)
      // One image for both themes; `default` is the static one when there is no animated one.
      expect((await served(emote.id, 'static', scale, 'light')).bytes).toEqual(image.bytes)
      expect((await served(emote.id, 'default', scale)).bytes).toEqual(image.bytes)
      const again = await f.t.request(`/api/chat/emotes/${emote.id}/static/dark/${scale}`, { headers: { 'if-none-match': image.etag! } })
      expect(again.status).toBe(304)
    }
    expect(new URL(emote.images.url_1x).pathname).toBe(`/api/chat/emotes/${emote.id}/static/light/1.0`)
    expect((await served(emote.id, 'static', '1.0')).etag).not.toBe((await served(emote.id, 'static', '3.0')).etag)
    expect((await f.t.request(`/api/chat/emotes/${emote.id}/animated/dark/1.0`)).status).toBe(404)
  })

  test('an animated GIF stays animated at every scale, with a PNG of its first frame as the static format', async () => {
    const emote = await added(await uploadEmote(f, channelPath(), caster.token, { name: 'upLoop', image: await gif(112, 3) }))
    expect(emote).toMatchObject({ emote_type: 'follower', format: ['static', 'animated'] })
    for (const [scale, side] of Object.entries(SIDES) as [keyof typeof SIDES, number][]) {
      expect(await served(emote.id, 'animated', scale)).toMatchObject({ contentType: 'image/gif', decoded: 'gif', width: side, height: side, frames: 3 })
      expect(await served(emote.id, 'static', scale)).toMatchObject({ contentType: 'image/png', decoded: 'png', width: side, height: side, frames: 1 })
      expect(await served(emote.id, 'default', scale)).toMatchObject({ contentType: 'image/gif', frames: 3 })
    }
  })

  test('a still GIF is a static emote, served as PNG; the type comes from the bytes, not the file part', async () => {
    const still = await added(await uploadEmote(f, channelPath(), caster.token, { name: 'upStillGif', image: await gif(112, 1) }))
    expect(still.format).toEqual(['static'])
    expect(await served(still.id, 'static', '2.0')).toMatchObject({ contentType: 'image/png', width: 56 })
    // A PNG sent as "meme.gif", image/gif: a PNG all the same.
    const form = new FormData()
    form.set('name', 'upNamedGif')
    form.set('image', new File([await png(112)], 'meme.gif', { type: 'image/gif' }))
    const named = await added(await f.t.request(channelPath(), { method: 'POST', token: caster.token, body: form }))
    expect(await served(named.id, 'static', '3.0')).toMatchObject({ contentType: 'image/png', width: 112 })
  })

  test("Twitch's three sizes uploaded apart, static or animated, are kept at their own sizes", async () => {
    const pngs = await added(
      await uploadEmote(f, channelPath(), caster.token, { name: 'upThree', image_1x: await png(28, 28, 10), image_2x: await png(56, 56, 20), image_4x: await png(112, 112, 30) }),
    )
    for (const [scale, side] of Object.entries(SIDES) as [keyof typeof SIDES, number][]) {
      expect(await served(pngs.id, 'static', scale)).toMatchObject({ decoded: 'png', width: side })
    }
    // Each scale is its own drawing: the 28 px one is not the 112 px one scaled down.
    const { dominant } = await sharp((await served(pngs.id, 'static', '1.0')).bytes).stats()
    expect(dominant.r).toBeLessThan(40)

    const gifs = await added(await uploadEmote(f, channelPath(), caster.token, { name: 'upThreeLoop', image_1x: await gif(28, 2), image_2x: await gif(56, 2), image_4x: await gif(112, 2) }))
    expect(gifs.format).toEqual(['static', 'animated'])
    expect(await served(gifs.id, 'animated', '1.0')).toMatchObject({ decoded: 'gif', width: 28, frames: 2 })
  })

  test('an admin adds to the global set; emotes list as Helix does', async () => {
    await added(await uploadEmote(f, '/api/chat/emotes/global', admin, { name: 'OndesUpload', image: await png(112) }))
    const { data } = (await (await f.t.request('/api/chat/emotes/global')).json()) as { data: HelixEmote[] }
    expect(data.map((e) => e.name)).toContain('OndesUpload')
    const channel = (await (await f.t.request(channelPath())).json()) as { data: HelixEmote[] }
    expect(channel.data.find((e) => e.name === 'upLoop')?.format).toEqual(['static', 'animated'])
  })
})

/** A PNG with an APNG animation control chunk before its image data. */
async function apng(): Promise<Buffer> {
  const still = await png(112)
  const body = Buffer.concat([Buffer.from('acTL'), Buffer.from([0, 0, 0, 2, 0, 0, 0, 0])])
  const length = Buffer.alloc(4)
  length.writeUInt32BE(8)
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(Bun.hash.crc32(body) >>> 0)
  // The signature (8 bytes) and IHDR (25) come first.
  return Buffer.concat([still.subarray(0, 33), length, body, crc, still.subarray(33)])
}

describe('refusals', () => {
  test('each wrong upload is refused with its problem, and none writes a row', async () => {
    const other = await accessTokenFor(f.t, await f.user('notuploadcaster'), [], { login: 'notuploadcaster' })
    const taken = 'upTaken'
    await added(await uploadEmote(f, channelPath(), caster.token, { name: taken, image: await png(112) }))
    const noisy = await sharp({ create: { width: 112, height: 112, channels: 3, background: 'black', noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).png({ palette: true, colours: 4 }).toBuffer()
    const huge = await sharp({ create: { width: 4100, height: 4100, channels: 3, background: 'white' } }).png({ palette: true, colours: 2 }).toBuffer()
    const jpeg = await sharp({ create: { width: 112, height: 112, channels: 3, background: 'red' } }).jpeg().toBuffer()
    const before = await rows()
    const cases: [string, UploadForm, number, string, string?][] = [
      ['text', { name: 'upText', image: new TextEncoder().encode('not an image at all') }, 415, 'emote.unsupported_image'],
      ['a JPEG', { name: 'upJpeg', image: jpeg }, 415, 'emote.unsupported_image'],
      ['an SVG', { name: 'upSvg', image: new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" width="112" height="112"/>') }, 415, 'emote.unsupported_image'],
      ['an animated PNG', { name: 'upApng', image: await apng() }, 415, 'emote.unsupported_image'],
      ['a PNG cut short', { name: 'upCut', image: noisy.subarray(0, Math.floor(noisy.length / 2)) }, 415, 'emote.unsupported_image'],
      ['a GIF signature and nothing else', { name: 'upGif8', image: new TextEncoder().encode('GIF89a') }, 415, 'emote.unsupported_image'],
      ['not square', { name: 'upWide', image: await png(120, 112) }, 400, 'emote.not_square'],
      ['too small to scale', { name: 'upSmall', image: await png(56) }, 400, 'emote.bad_dimensions'],
      ['past 4096 px', { name: 'upHuge', image: huge }, 400, 'emote.bad_dimensions'],
      ['61 frames', { name: 'upLong', image: await gif(28, 61) }, 400, 'emote.too_many_frames'],
      ['a file past the limit', { name: 'upBig', image: new Uint8Array(MAX_BYTES + 1) }, 413, 'emote.too_large'],
      ['a size past half the limit', { name: 'upBig3', image_1x: new Uint8Array(MAX_BYTES / 2 + 1), image_2x: await png(56), image_4x: await png(112) }, 413, 'emote.too_large'],
      ['a body past the route limit', { name: 'upHuger', image: new Uint8Array(MAX_BYTES * 3) }, 413, 'request.too_large'],
      ['the three sizes wrong', { name: 'upSizes', image_1x: await png(30), image_2x: await png(56), image_4x: await png(112) }, 400, 'emote.bad_dimensions'],
      ['the three sizes of two kinds', { name: 'upMixed', image_1x: await gif(28, 2), image_2x: await png(56), image_4x: await png(112) }, 400, 'emote.mismatched_images'],
      ['two sizes of three', { name: 'upTwo', image_1x: await png(28), image_4x: await png(112) }, 400, 'request.invalid'],
      ['an image and the sizes', { name: 'upBoth', image: await png(112), image_1x: await png(28), image_2x: await png(56), image_4x: await png(112) }, 400, 'request.invalid'],
      ['no image', { name: 'upNone' }, 400, 'request.invalid'],
      ['a bad code', { name: 'no!', image: await png(112) }, 400, 'request.invalid'],
      ['a one-letter code', { name: 'x', image: await png(112) }, 400, 'request.invalid'],
      ['no code', { image: await png(112) }, 400, 'request.invalid'],
      ['tier 4000', { name: 'upTier', tier: '4000', image: await png(112) }, 400, 'request.invalid'],
      ['a code the channel has', { name: taken, image: await png(112) }, 409, 'emote.name_taken'],
      ["another's channel", { name: 'upOther', image: await png(112) }, 403, 'chat.not_broadcaster', other],
    ]
    for (const [what, form, status, code, token = caster.token] of cases) {
      const res = await uploadEmote(f, channelPath(), token, form)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
      expect({ what, status: res.status, type: ((await res.json()) as { type: string }).type }).toEqual({ what, status, type: `https://ondes.dev/problems/${code}` })
    }
    const global = await uploadEmote(f, '/api/chat/emotes/global', caster.token, { name: 'upNotAdmin', image: await png(112) })
    expect(global.status).toBe(403)
    // The raw image as the body (the old way) is not a form.
    const raw = await f.t.request(channelPath(), { method: 'POST', token: caster.token, headers: { 'content-type': 'image/png' }, body: await png(112) })
    expect({ status: raw.status, type: ((await raw.json()) as { type: string }).type }).toEqual({ status: 415, type: 'https://ondes.dev/problems/request.unsupported_media_type' })
    expect(await rows()).toEqual(before)
  }, 30_000)

  test('the same code uploaded twice at once: one emote and its three images, the other a 409', async () => {
    const before = await rows()
    const image = await png(112)
    const answers = await Promise.all([1, 2, 3].map(() => uploadEmote(f, channelPath(), caster.token, { name: 'upRace', image })))
    expect(answers.map((res) => res.status).sort()).toEqual([201, 409, 409])
    expect(await rows()).toEqual({ emotes: before!.emotes + 1, images: before!.images + 3 })
  })

  test('a body past the limit is refused before it is read: streamed, the server stops taking it', async () => {
    const total = 64 * 1024 * 1024
    const chunk = new Uint8Array(64 * 1024)
    let pulled = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= total) return controller.close()
        pulled += chunk.length
        controller.enqueue(chunk)
      },
    })
    const res = await fetch(`http://127.0.0.1:${f.port}${channelPath()}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${caster.token}`, 'content-type': 'multipart/form-data; boundary=x' },
      body,
    }).catch(() => undefined)
    // Either the 413 or a cut connection, and far from all of it sent.
    if (res) expect(res.status).toBe(413)
    expect(pulled).toBeLessThan(total / 4)
  })
})

describe('random multipart bodies', () => {
  test('never a 5xx, and a refusal writes nothing', async () => {
    const images = [await png(112), await png(28), await png(56), await gif(112, 2), await gif(28, 2), await png(120, 112)]
    const fieldName = fc.oneof(fc.constantFrom('name', 'tier', 'image', 'image_1x', 'image_2x', 'image_4x', 'image[]', ''), fc.string({ maxLength: 12 }))
    const content = fc.oneof(
      fc.constantFrom(...images),
      fc.tuple(fc.constantFrom(...images), fc.nat()).map(([image, cut]) => image.subarray(0, cut % image.length)),
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
      fc.constantFrom('fuzzEmote', 'OndesWave', '1000', '3000', '', 'no!', 'x'.repeat(30)).map((text) => Buffer.from(text)),
    )
    const part = fc.record({ name: fieldName, filename: fc.option(fc.constantFrom('a.png', 'a.gif', '', '"', 'x'.repeat(300))), type: fc.option(fc.constantFrom('image/png', 'image/gif', 'text/plain', '')), content })
    const boundary = fc.oneof(fc.constantFrom('x', 'ondesBoundary', '----WebKitFormBoundary7MA4YWxkTrZu0gW'), fc.stringMatching(/^[A-Za-z0-9'()+_,\-./:=?]{1,70}$/))
    const body = fc.record({
      boundary,
      parts: fc.array(part, { maxLength: 6 }),
      // How the body goes wrong, if it does: cut anywhere, garbage after, no closing boundary, LF for CRLF.
      damage: fc.constantFrom('none', 'cut', 'trailing', 'unclosed', 'lf'),
      cut: fc.nat(),
      // The header's boundary: the body's, another, none, or not multipart at all.
      header: fc.constantFrom('same', 'other', 'missing', 'quoted', 'urlencoded'),
    })
    type Sent = typeof body extends fc.Arbitrary<infer T> ? T : never
    const serialize = ({ boundary, parts, damage, cut }: Sent) => {
      const pieces = parts.map(({ name, filename, type, content }) => {
        const disposition = `Content-Disposition: form-data; name="${name}"${filename === null ? '' : `; filename="${filename}"`}`
        return Buffer.concat([Buffer.from(`--${boundary}\r\n${disposition}\r\n${type === null ? '' : `Content-Type: ${type}\r\n`}\r\n`), content, Buffer.from('\r\n')])
      })
      let bytes = Buffer.concat([...pieces, Buffer.from(damage === 'unclosed' ? '' : `--${boundary}--\r\n`)])
      if (damage === 'cut') bytes = bytes.subarray(0, cut % (bytes.length + 1))
      if (damage === 'trailing') bytes = Buffer.concat([bytes, Buffer.from(`--${boundary}\r\ngarbage`)])
      if (damage === 'lf') bytes = Buffer.from(bytes.toString('latin1').replaceAll('\r\n', '\n'), 'latin1')
      return bytes
    }
    const contentType = (header: string, boundary: string) =>
      ({ same: `multipart/form-data; boundary=${boundary}`, other: 'multipart/form-data; boundary=elsewhere', missing: 'multipart/form-data', quoted: `multipart/form-data; boundary="${boundary}"`, urlencoded: 'application/x-www-form-urlencoded' })[header]!
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom('channel', 'global'), async (sent, where) => {
        const path = where === 'channel' ? channelPath() : '/api/chat/emotes/global'
        const init = { method: 'POST', token: where === 'channel' ? caster.token : admin, headers: { 'content-type': contentType(sent.header, sent.boundary) }, body: serialize(sent) }
        expect(await harmOf(f.t, f.t.sql.chat!, path, init)).toBeUndefined()
      }),
      { numRuns: 200 },
    )
    // A well-formed form passes through the same serializer: the fuzz reaches the checks past parsing.
    const valid = await f.t.request(channelPath(), {
      method: 'POST',
      token: caster.token,
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      body: serialize({ boundary: 'x', parts: [{ name: 'name', filename: null, type: null, content: Buffer.from('upSerialized') }, { name: 'image', filename: 'a.png', type: 'image/png', content: images[0]! }], damage: 'none', cut: 0, header: 'same' }),
    })
    expect(valid.status).toBe(201)
  }, 120_000)
})
