/**
 * Emotes: the seeded global set (Helix's fields, each scale served at its size) and the
 * `emotes` tag of PRIVMSG as the real tmi.js reads it — code-point positions (an astral
 * character counts one), `/me`'s ACTION prefix not counted. Uploads: emote-uploads.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import sharp from 'sharp'
import tmi from 'tmi.js'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { startChat, type ChatFixture } from './core-fixture.ts'
import { png, uploadEmote } from './emote-fixture.ts'

let f: ChatFixture
beforeAll(async () => {
  f = await startChat()
}, 60_000)
afterAll(() => f.close(), 30_000)

type HelixEmote = { id: string; name: string; images: Record<'url_1x' | 'url_2x' | 'url_4x', string>; tier: string; emote_type: string; emote_set_id: string; format: string[]; scale: string[]; theme_mode: string[] }

describe('the seeded global emotes', () => {
  test('a fresh install has global emotes, with every Helix field and each scale served at its size', async () => {
    const { data, template } = (await (await f.t.request('/api/chat/emotes/global')).json()) as { data: HelixEmote[]; template: string }
    expect(data.map((e) => e.name)).toEqual(['OndesGG', 'OndesHeart', 'OndesHype', 'OndesWave'])
    const wave = data.find((e) => e.name === 'OndesWave')!
    expect(wave).toEqual({
      id: '0e5a0000-0000-4000-8000-000000000001',
      name: 'OndesWave',
      images: {
        url_1x: `http://ondes.test/api/chat/emotes/${wave.id}/static/light/1.0`,
        url_2x: `http://ondes.test/api/chat/emotes/${wave.id}/static/light/2.0`,
        url_4x: `http://ondes.test/api/chat/emotes/${wave.id}/static/light/3.0`,
      },
      tier: '',
      emote_type: 'globals',
      emote_set_id: '0',
      format: ['static'],
      scale: ['1.0', '2.0', '3.0'],
      theme_mode: ['light', 'dark'],
    })
    expect(template).toBe('http://ondes.test/api/chat/emotes/{{id}}/{{format}}/{{theme_mode}}/{{scale}}')
    for (const [url, side] of [[wave.images.url_1x, 28], [wave.images.url_2x, 56], [wave.images.url_4x, 112]] as const) {
      const image = await f.t.request(new URL(url).pathname)
      expect(image.status).toBe(200)
      expect(image.headers.get('content-type')).toBe('image/png')
      expect(image.headers.get('cache-control')).toContain('immutable')
      const { format, width, height } = await sharp(await image.arrayBuffer()).metadata()
      expect({ format, width, height }).toEqual({ format: 'png', width: side, height: side })
    }
    expect((await f.t.request('/api/chat/emotes/0e5a0000-0000-4000-8000-00000000ffff/static/dark/1.0')).status).toBe(404)
    expect((await f.t.request('/api/chat/emotes/global?broadcaster_id=1')).status).toBe(400)
  })
})

describe('the emotes tag of PRIVMSG, read by tmi.js', () => {
  test('code-point positions, astral characters counted once, /me not counted, sub emotes only for their tier', async () => {
    const casterId = await f.user('tagcaster')
    const casterToken = await accessTokenFor(f.t, casterId, [], { login: 'tagcaster' })
    const uploaded = await uploadEmote(f, `/api/chat/emotes?broadcaster_id=${casterId}`, casterToken, { name: 'tagSub', tier: '1000', image: await png(112) })
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
