/**
 * Emotes: the seeded global set and uploads over REST (Helix's fields, the image served at its
 * URLs, the size and type checks), and the `emotes` tag of PRIVMSG as the real tmi.js reads it —
 * code-point positions (an astral character counts one), `/me`'s ACTION prefix not counted.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { deflateSync } from 'node:zlib'
import tmi from 'tmi.js'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { startChat, type ChatFixture } from './core-fixture.ts'

const MAX_BYTES = 4096
let f: ChatFixture
beforeAll(async () => {
  f = await startChat({ CHAT_EMOTE_MAX_BYTES: String(MAX_BYTES) })
}, 60_000)
afterAll(() => f.close(), 30_000)

/** A real PNG of `width`×`height` transparent pixels. */
function png(width: number, height = width, padding = 0): Uint8Array {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4)
    length.writeUInt32BE(data.length)
    const body = Buffer.concat([Buffer.from(type), data])
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(Bun.hash.crc32(body) >>> 0)
    return Buffer.concat([length, body, crc])
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header.set([8, 6], 8)
  const pixels = Buffer.alloc((width * 4 + 1) * height)
  const text = chunk('tEXt', Buffer.from(`Comment\0${'x'.repeat(padding)}`))
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), text, chunk('IDAT', deflateSync(pixels)), chunk('IEND', Buffer.alloc(0))])
}

/** A GIF header with a NETSCAPE2.0 loop: what an animated emote is. */
const animatedGif = (side: number) => {
  const bytes = Buffer.alloc(64)
  bytes.write('GIF89a', 0)
  bytes.writeUInt16LE(side, 6)
  bytes.writeUInt16LE(side, 8)
  bytes.write('NETSCAPE2.0', 20)
  return bytes
}

type HelixEmote = { id: string; name: string; images: Record<'url_1x' | 'url_2x' | 'url_4x', string>; tier: string; emote_type: string; emote_set_id: string; format: string[]; scale: string[]; theme_mode: string[] }
const list = async (path: string) => (await (await f.t.request(path)).json()) as { data: HelixEmote[]; template: string }
const emoteCount = async () => Number((await f.t.sql.chat!`select count(*)::int as n from emotes`)[0]!.n)

const upload = (path: string, token: string, body: Uint8Array, contentType = 'image/png') =>
  f.t.request(path, { method: 'POST', token, headers: { 'content-type': contentType }, body })

describe('emotes over REST', () => {
  test('a fresh install has global emotes, with every Helix field and images served at their URLs', async () => {
    const { data, template } = await list('/api/chat/emotes/global')
    expect(data.map((e) => e.name)).toEqual(['OndesGG', 'OndesHeart', 'OndesHype', 'OndesWave'])
    const wave = data.find((e) => e.name === 'OndesWave')!
    expect(wave).toEqual({
      id: '0e5a0000-0000-4000-8000-000000000001',
      name: 'OndesWave',
      images: {
        url_1x: `http://ondes.test/api/chat/emotes/${wave.id}/static/dark/1.0`,
        url_2x: `http://ondes.test/api/chat/emotes/${wave.id}/static/dark/2.0`,
        url_4x: `http://ondes.test/api/chat/emotes/${wave.id}/static/dark/3.0`,
      },
      tier: '',
      emote_type: 'globals',
      emote_set_id: '0',
      format: ['static'],
      scale: ['1.0', '2.0', '3.0'],
      theme_mode: ['light', 'dark'],
    })
    expect(template).toBe('http://ondes.test/api/chat/emotes/{{id}}/{{format}}/{{theme_mode}}/{{scale}}')
    for (const url of Object.values(wave.images)) {
      const image = await f.t.request(new URL(url).pathname)
      expect(image.status).toBe(200)
      expect(image.headers.get('content-type')).toBe('image/png')
      expect(image.headers.get('cache-control')).toContain('immutable')
      expect([...new Uint8Array(await image.arrayBuffer()).subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47])
    }
    expect((await f.t.request('/api/chat/emotes/0e5a0000-0000-4000-8000-00000000ffff/static/dark/1.0')).status).toBe(404)
    expect((await f.t.request('/api/chat/emotes/global?broadcaster_id=1')).status).toBe(400)
  })

  test('a broadcaster adds sub emotes and free ones to their channel; an admin adds global ones', async () => {
    const id = await f.user('emotecaster')
    const token = await accessTokenFor(f.t, id, [], { login: 'emotecaster' })
    const sub = await upload(`/api/chat/emotes?broadcaster_id=${id}&name=castHype&tier=2000`, token, png(28))
    expect(sub.status).toBe(201)
    const free = await upload(`/api/chat/emotes?broadcaster_id=${id}&name=castLoop`, token, animatedGif(56), 'image/gif')
    expect(free.status).toBe(201)
    const { data } = await list(`/api/chat/emotes?broadcaster_id=${id}`)
    expect(data.map(({ name, tier, emote_type, emote_set_id, format }) => ({ name, tier, emote_type, emote_set_id, format }))).toEqual([
      { name: 'castHype', tier: '2000', emote_type: 'subscriptions', emote_set_id: `${id}:2000`, format: ['static'] },
      { name: 'castLoop', tier: '', emote_type: 'follower', emote_set_id: `${id}:follower`, format: ['static', 'animated'] },
    ])
    const gif = await f.t.request(new URL(data[1]!.images.url_2x).pathname)
    expect(gif.headers.get('content-type')).toBe('image/gif')

    const adminId = await f.user('emoteadmin')
    const admin = await accessTokenFor(f.t, adminId, ['admin'], { login: 'emoteadmin' })
    expect((await upload('/api/chat/emotes/global?name=OndesCheer', admin, png(112))).status).toBe(201)
    expect((await list('/api/chat/emotes/global')).data.map((e) => e.name)).toContain('OndesCheer')
  })

  test('refuses what is not a square PNG or GIF within the size limit, or not yours, and writes nothing', async () => {
    const id = await f.user('strictcaster')
    const token = await accessTokenFor(f.t, id, [], { login: 'strictcaster' })
    const other = await accessTokenFor(f.t, await f.user('notcaster'), [], { login: 'notcaster' })
    const path = `/api/chat/emotes?broadcaster_id=${id}&name=strictOne`
    const before = await emoteCount()
    const refusals: [Promise<Response>, number, string][] = [
      [upload(path, token, new TextEncoder().encode('not an image at all'), 'text/plain'), 415, 'emote.unsupported_image'],
      [upload(path, token, new TextEncoder().encode('GIF89 but not quite an image'), 'image/gif'), 415, 'emote.unsupported_image'],
      [upload(path, token, png(28), 'image/gif'), 415, 'emote.unsupported_image'],
      [upload(path, token, png(28, 30)), 400, 'emote.bad_dimensions'],
      [upload(path, token, png(8)), 400, 'emote.bad_dimensions'],
      [upload(path, token, png(28, 28, MAX_BYTES)), 413, 'request.too_large'],
      [upload(path, other, png(28)), 403, 'chat.not_broadcaster'],
      [upload('/api/chat/emotes/global?name=strictOne', token, png(28)), 403, 'role.required'],
      [upload(`/api/chat/emotes?broadcaster_id=${id}&name=no!`, token, png(28)), 400, 'request.invalid'],
      [upload(`/api/chat/emotes?broadcaster_id=${id}&name=strictOne&tier=4000`, token, png(28)), 400, 'request.invalid'],
    ]
    for (const [answer, status, code] of refusals) {
      const res = await answer
      expect(res.headers.get('content-type')).toBe('application/problem+json')
      expect({ status: res.status, type: ((await res.json()) as { type: string }).type }).toEqual({ status, type: `https://ondes.dev/problems/${code}` })
    }
    expect(await emoteCount()).toBe(before)
    expect((await upload(path, token, png(28))).status).toBe(201)
    const taken = await upload(path, token, png(28))
    expect(taken.status).toBe(409)
    expect(await emoteCount()).toBe(before + 1)
  })
})

describe('the emotes tag of PRIVMSG, read by tmi.js', () => {
  test('code-point positions, astral characters counted once, /me not counted, sub emotes only for their tier', async () => {
    const casterId = await f.user('tagcaster')
    const casterToken = await accessTokenFor(f.t, casterId, [], { login: 'tagcaster' })
    const uploaded = await upload(`/api/chat/emotes?broadcaster_id=${casterId}&name=tagSub&tier=1000`, casterToken, png(28))
    const subEmote = ((await uploaded.json()) as { data: HelixEmote[] }).data[0]!.id
    const wave = '0e5a0000-0000-4000-8000-000000000001'
    const heart = '0e5a0000-0000-4000-8000-000000000002'

    const senderId = await f.user('tagsender')
    const sender = new tmi.Client({
      options: { skipUpdatingEmotesets: true },
      connection: { server: '127.0.0.1', port: f.port, secure: false, reconnect: false },
      identity: { username: 'tagsender', password: await f.password(senderId, 'tagsender') },
      channels: ['tagcaster'],
      logger: { info: () => {}, warn: () => {}, error: () => {} },
    })
    const reader = new tmi.Client({
      options: { skipUpdatingEmotesets: true },
      connection: { server: '127.0.0.1', port: f.port, secure: false, reconnect: false },
      channels: ['tagcaster'],
      logger: { info: () => {}, warn: () => {}, error: () => {} },
    })
    try {
      await Promise.all([sender.connect(), reader.connect()])
      await Bun.sleep(200)
      const received: { message: string; emotes: unknown; action: boolean }[] = []
      reader.on('message', (_channel, tags, message) => void received.push({ message, emotes: tags.emotes ?? null, action: tags['message-type'] === 'action' }))
      const arrive = async (n: number) => {
        const deadline = Date.now() + 5_000
        while (received.length < n && Date.now() < deadline) await Bun.sleep(20)
        return received[n - 1]
      }

      await sender.say('tagcaster', '🙂 OndesWave hi OndesWave 𝄞OndesHeart OndesHeart')
      expect(await arrive(1)).toEqual({
        message: '🙂 OndesWave hi OndesWave 𝄞OndesHeart OndesHeart',
        // 🙂 and 𝄞 are one code point each (two UTF-16 units); a word glued to one is not an emote.
        emotes: { [wave]: ['2-10', '15-23'], [heart]: ['37-46'] },
        action: false,
      })
      await sender.action('tagcaster', 'OndesHeart 🙂 OndesWave')
      expect(await arrive(2)).toEqual({ message: 'OndesHeart 🙂 OndesWave', emotes: { [heart]: ['0-9'], [wave]: ['13-21'] }, action: true })
      // Not a tier-1 subscriber: the channel's sub emote is plain text.
      await sender.say('tagcaster', 'tagSub OndesWave')
      expect(await arrive(3)).toEqual({ message: 'tagSub OndesWave', emotes: { [wave]: ['7-15'] }, action: false })
      expect(subEmote).toBeString()
    } finally {
      await Promise.all([sender.disconnect().catch(() => {}), reader.disconnect().catch(() => {})])
    }
  }, 30_000)
})
