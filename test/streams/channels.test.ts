import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { deliver, publishedEvents } from '../../src/platform/testing/events.ts'
import { createTestPlatform, type TestPlatform } from '../../src/platform/testing/harness.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { users } from '../../src/modules/users/index.ts'
import { streams } from '../../src/modules/streams/index.ts'
import { addBroadcaster, streamKeyOf, type Broadcaster } from './broadcasters.ts'

let t: TestPlatform
let ada: Broadcaster
let bob: Broadcaster
beforeAll(async () => {
  t = await createTestPlatform([users, streams])
  ada = await addBroadcaster(t, '101', 'ada')
  bob = await addBroadcaster(t, '102', 'bob')
}, 30_000)
afterAll(() => t.close(), 30_000)

const channel = async (id: string) => {
  const res = await t.request(`/api/channels?broadcaster_id=${id}`)
  expect(res.status).toBe(200)
  return ((await res.json()) as { data: Record<string, unknown>[] }).data[0]
}
const patch = (who: Broadcaster, json: unknown, id = who.id) =>
  t.request(`/api/channels?broadcaster_id=${id}`, { method: 'PATCH', token: who.token, json })

describe('channels', () => {
  test('every registered user has one, with Helix fields and defaults', async () => {
    expect(await channel(ada.id)).toEqual({
      broadcaster_id: '101',
      broadcaster_login: 'ada',
      broadcaster_name: 'ADA',
      broadcaster_language: 'en',
      game_id: '',
      game_name: '',
      title: '',
      delay: 0,
      tags: [],
      content_classification_labels: [],
      is_branded_content: false,
    })
  })

  test('the owner edits it; the change is announced with a growing version', async () => {
    const admin = await accessTokenFor(t, '1', ['admin'])
    // A delay is for partners (Helix): ada is one.
    const partner = { ...ada, token: await accessTokenFor(t, ada.id, ['partner'], { login: ada.login }) }
    const game = await t.request('/api/games', { method: 'POST', token: admin, json: { name: 'Chess', igdb_id: '7' } })
    expect(game.status).toBe(201)
    const gameId = ((await game.json()) as { data: { id: string } }).data.id
    const res = await patch(partner, {
      title: 'Openings',
      game_id: gameId,
      broadcaster_language: 'fr',
      tags: ['Chess', 'Français'],
      content_classification_labels: [{ id: 'Gambling', is_enabled: true }, { id: 'SexualThemes', is_enabled: false }],
      is_branded_content: true,
      delay: 5,
    })
    expect(res.status).toBe(204)
    expect(await channel(ada.id)).toMatchObject({
      title: 'Openings',
      game_id: gameId,
      game_name: 'Chess',
      broadcaster_language: 'fr',
      tags: ['Chess', 'Français'],
      content_classification_labels: ['Gambling'],
      is_branded_content: true,
      delay: 5,
    })
    expect((await patch(ada, { title: 'Endgames' })).status).toBe(204)
    const events = await publishedEvents(t, streams, { type: 'streams.channel_updated.v1' })
    expect(events.map((e) => (e.payload as { title: string; version: number }))).toEqual([
      expect.objectContaining({ title: 'Openings', version: 2, game_name: 'Chess' }),
      expect.objectContaining({ title: 'Endgames', version: 3 }),
    ])
  })

  test.each([
    ['a title over 140 characters', { title: 'x'.repeat(141) }],
    ['an empty title', { title: '  ' }],
    ['eleven tags', { tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }],
    ['a tag over 25 characters', { tags: ['x'.repeat(26)] }],
    ['a tag with a space', { tags: ['two words'] }],
    ['tags equal but for case', { tags: ['Chess', 'chess'] }],
    ['an unknown label', { content_classification_labels: [{ id: 'Spiders', is_enabled: true }] }],
    ['a language that is not ISO 639-1', { broadcaster_language: 'english' }],
    ['a negative delay', { delay: -1 }],
    ['an unknown field', { colour: 'red' }],
    ['a category that does not exist', { game_id: '999999' }],
  ])('refuses %s with a 400 problem and changes nothing', async (_, body) => {
    const before = await channel(bob.id)
    const res = await patch(bob, body)
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(await channel(bob.id)).toEqual(before)
  })

  test('a delay only for partners: anyone else gets a 403 problem and nothing changes; no delay is for anyone', async () => {
    const before = await channel(bob.id)
    const res = await patch(bob, { title: 'Buffered', delay: 30 })
    expect(res.status).toBe(403)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(((await res.json()) as { type: string }).type).toBe('https://ondes.dev/problems/channel.delay_partners_only')
    expect(await channel(bob.id)).toEqual(before)
    expect((await patch(bob, { delay: 0 })).status).toBe(204)
    const partner = await accessTokenFor(t, bob.id, ['partner'], { login: bob.login })
    expect((await t.request(`/api/channels?broadcaster_id=${bob.id}`, { method: 'PATCH', token: partner, json: { delay: 30 } })).status).toBe(204)
    expect(await channel(bob.id)).toMatchObject({ delay: 30 })
    expect((await patch(bob, { delay: 0 })).status).toBe(204)
    expect(await channel(bob.id)).toMatchObject({ delay: 0 })
  })

  test("only the owner edits a channel; others get 403, strangers 401", async () => {
    expect((await patch(bob, { title: 'mine now' }, ada.id)).status).toBe(403)
    expect((await t.request(`/api/channels?broadcaster_id=${ada.id}`, { method: 'PATCH', json: { title: 'x' } })).status).toBe(401)
    expect(await channel(ada.id)).toMatchObject({ title: 'Endgames' })
  })

  test('a profile update reaches listings; an older one does not overwrite a newer', async () => {
    const profile = (version: number, name: string) =>
      deliver(t, streams, 'users.profile_updated.v1', {
        user_id: bob.id,
        login: 'bob',
        display_name: name,
        profile_image_url: 'https://img.example/bob.png',
        offline_image_url: '',
        version,
      })
    await profile(3, 'Bobby')
    await profile(2, 'Old Bob')
    expect(await channel(bob.id)).toMatchObject({ broadcaster_name: 'Bobby' })
    const [row] = await t.sql.streams!`select profile_image_url from broadcasters where user_id = ${bob.id}`
    expect(row?.profile_image_url).toBe('https://img.example/bob.png')
  })
})

describe('stream keys', () => {
  test('the owner reads the same long key twice; nobody else reads it', async () => {
    const key = await streamKeyOf(t, ada)
    expect(key).toMatch(/^live_101_[A-Za-z0-9_-]{43}$/)
    expect(await streamKeyOf(t, ada)).toBe(key)
    expect((await t.request(`/api/streams/key?broadcaster_id=${ada.id}`, { token: bob.token })).status).toBe(403)
    expect((await t.request(`/api/streams/key?broadcaster_id=${ada.id}`)).status).toBe(401)
  })

  test('is stored only as a nonce and a hash', async () => {
    const key = await streamKeyOf(t, ada)
    const dump = JSON.stringify(await t.sql.streams!`select * from stream_keys`)
    expect(dump).not.toContain(key)
    expect(dump).not.toContain(key.slice(-43))
  })

  test('a reset gives a new key and the old one stops matching', async () => {
    const old = await streamKeyOf(t, bob)
    const res = await t.request(`/api/streams/key/reset?broadcaster_id=${bob.id}`, { method: 'POST', token: bob.token })
    expect(res.status).toBe(200)
    const fresh = ((await res.json()) as { data: [{ stream_key: string }] }).data[0].stream_key
    expect(fresh).not.toBe(old)
    expect(await streamKeyOf(t, bob)).toBe(fresh)
    expect((await t.request(`/api/streams/key/reset?broadcaster_id=${bob.id}`, { method: 'POST', token: ada.token })).status).toBe(403)
  })
})

describe('categories', () => {
  let admin: string
  beforeAll(async () => {
    admin = await accessTokenFor(t, '1', ['admin'])
    for (const name of ['Just Chatting', 'Chess Variants', 'Music', 'Art']) {
      expect((await t.request('/api/games', { method: 'POST', token: admin, json: { name } })).status).toBe(201)
    }
  })

  test('search by name, paged without repeats', async () => {
    const names: string[] = []
    let cursor: string | undefined
    do {
      const res = await t.request(`/api/search/categories?query=CH&first=1${cursor ? `&after=${cursor}` : ''}`)
      expect(res.status).toBe(200)
      const body = (await res.json()) as { data: { name: string }[]; pagination: { cursor?: string } }
      names.push(...body.data.map((d) => d.name))
      cursor = body.pagination.cursor
    } while (cursor)
    expect(names).toEqual(['Chess', 'Chess Variants', 'Just Chatting'])
  })

  test('lookup by id and name; top lists them all', async () => {
    const res = await t.request('/api/games?name=music&name=art')
    expect(((await res.json()) as { data: { name: string }[] }).data.map((d) => d.name).sort()).toEqual(['Art', 'Music'])
    const top = (await (await t.request('/api/games/top?first=100')).json()) as { data: unknown[] }
    expect(top.data).toHaveLength(5)
    expect((await t.request('/api/games')).status).toBe(400)
  })

  test('admins only; names unique in any case; update and delete', async () => {
    expect((await t.request('/api/games', { method: 'POST', token: ada.token, json: { name: 'Go' } })).status).toBe(403)
    const dup = await t.request('/api/games', { method: 'POST', token: admin, json: { name: 'music' } })
    expect(dup.status).toBe(409)
    expect(((await dup.json()) as { type: string }).type).toBe('https://ondes.dev/problems/category.taken')
    const [art] = (await (await t.request('/api/games?name=Art')).json() as { data: { id: string }[] }).data
    const renamed = await t.request(`/api/games/${art!.id}`, { method: 'PATCH', token: admin, json: { name: 'Art & Design' } })
    expect(((await renamed.json()) as { data: { name: string } }).data.name).toBe('Art & Design')
    expect((await t.request(`/api/games/${art!.id}`, { method: 'DELETE', token: admin })).status).toBe(204)
    expect((await t.request(`/api/games/${art!.id}`, { method: 'DELETE', token: admin })).status).toBe(404)
  })
})

describe('the users projection, fed by the users module itself', () => {
  test('a user registered through the API gets a channel under their login', async () => {
    const res = await t.request('/api/auth/register', {
      method: 'POST',
      json: { login: 'grace_h', email: 'grace@example.test', password: 'correct horse battery' },
    })
    expect(res.status).toBe(201)
    const id = ((await res.json()) as { data: { user_id: string } }).data.user_id
    const deadline = Date.now() + 5000
    let found: Record<string, unknown> | undefined
    while (!found && Date.now() < deadline) {
      found = ((await (await t.request(`/api/channels?broadcaster_id=${id}`)).json()) as { data: Record<string, unknown>[] }).data[0]
      if (!found) await Bun.sleep(50)
    }
    expect(found).toMatchObject({ broadcaster_id: id, broadcaster_login: 'grace_h', broadcaster_name: 'grace_h' })
  })
})
