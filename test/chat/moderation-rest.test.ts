/** Helix's moderation routes on chat: chat settings, moderators, VIPs, bans, message deletion, blocked terms; and every one under random input. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { harmOf } from '../../src/platform/testing/harm.ts'
import { hostileBody, hostileId } from '../../src/platform/testing/hostile-input.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { startChat, type ChatFixture } from './core-fixture.ts'

let f: ChatFixture
let host: { id: string; token: string }
let modder: { id: string; token: string }
let viewer: { id: string; token: string }
let stranger: { id: string; token: string }

beforeAll(async () => {
  f = await startChat()
  const make = async (login: string) => {
    const id = await f.user(login)
    return { id, token: await accessTokenFor(f.t, id, [], { login }) }
  }
  host = await make('resthost')
  modder = await make('restmod')
  viewer = await make('restviewer')
  stranger = await make('reststranger')
}, 60_000)
// Stopping the platform (sockets, jobs, the last batch) can take seconds on a loaded machine.
afterAll(() => f.close(), 30_000)

type Init = { method?: string; token?: string; json?: unknown }
const call = async (path: string, init: Init = {}) => {
  const res = await f.t.request(path, init)
  const text = await res.text()
  return { status: res.status, type: res.headers.get('content-type'), body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>) }
}
const q = (params: Record<string, string>) => new URLSearchParams(params).toString()

describe('moderators and VIPs', () => {
  test('the broadcaster adds, lists and removes moderators; others may not', async () => {
    const path = (userId: string) => `/api/moderation/moderators?${q({ broadcaster_id: host.id, user_id: userId })}`
    expect((await call(path(modder.id), { method: 'POST', token: host.token })).status).toBe(204)
    expect(await call(path(modder.id), { method: 'POST', token: host.token })).toMatchObject({ status: 400, type: 'application/problem+json' })
    expect((await call(path(viewer.id), { method: 'POST', token: modder.token })).status).toBe(403)
    expect((await call(path('999999999'), { method: 'POST', token: host.token })).status).toBe(400)
    const list = await call(`/api/moderation/moderators?${q({ broadcaster_id: host.id })}`, { token: host.token })
    expect(list).toMatchObject({ status: 200, body: { data: [{ user_id: modder.id, user_login: 'restmod', user_name: 'restmod' }], pagination: {} } })
    expect((await call(`/api/moderation/moderators?${q({ broadcaster_id: host.id })}`, { token: modder.token })).status).toBe(403)
    expect((await call(path(viewer.id), { method: 'DELETE', token: host.token })).status).toBe(400)
  })

  test('VIPs: 409 when already one, 422 for a moderator', async () => {
    const path = (userId: string) => `/api/channels/vips?${q({ broadcaster_id: host.id, user_id: userId })}`
    expect((await call(path(viewer.id), { method: 'POST', token: host.token })).status).toBe(204)
    expect((await call(path(viewer.id), { method: 'POST', token: host.token })).status).toBe(409)
    expect((await call(path(modder.id), { method: 'POST', token: host.token })).status).toBe(422)
    expect(await call(`/api/channels/vips?${q({ broadcaster_id: host.id, user_id: viewer.id })}`, { token: host.token })).toMatchObject({
      status: 200,
      body: { data: [{ user_id: viewer.id, user_login: 'restviewer' }] },
    })
    expect((await call(path(viewer.id), { method: 'DELETE', token: host.token })).status).toBe(204)
    expect((await call(path(viewer.id), { method: 'DELETE', token: host.token })).status).toBe(400)
  })
})

describe('chat settings', () => {
  const path = (moderatorId: string) => `/api/chat/settings?${q({ broadcaster_id: host.id, moderator_id: moderatorId })}`

  test('moderators change the modes, in Helix shapes', async () => {
    expect(await call(`/api/chat/settings?${q({ broadcaster_id: host.id })}`, { token: viewer.token })).toMatchObject({
      status: 200,
      body: { data: [{ broadcaster_id: host.id, slow_mode: false, slow_mode_wait_time: null, follower_mode: false, subscriber_mode: false }] },
    })
    const changed = await call(path(modder.id), {
      method: 'PATCH',
      token: modder.token,
      json: { slow_mode: true, follower_mode_duration: 60, emote_mode: true, non_moderator_chat_delay: true },
    })
    expect(changed).toMatchObject({
      status: 200,
      body: {
        data: [
          {
            slow_mode: true,
            slow_mode_wait_time: 30,
            follower_mode: true,
            follower_mode_duration: 60,
            emote_mode: true,
            moderator_id: modder.id,
            non_moderator_chat_delay: true,
            non_moderator_chat_delay_duration: 2,
          },
        ],
      },
    })
    const off = await call(path(modder.id), { method: 'PATCH', token: modder.token, json: { slow_mode: false, follower_mode: false, emote_mode: false } })
    expect(off.body).toMatchObject({ data: [{ slow_mode: false, slow_mode_wait_time: null, follower_mode: false, emote_mode: false }] })
  })

  test('refused: a non-moderator, another moderator_id, out-of-range values, contradictions — and nothing changes', async () => {
    const before = await f.t.sql.chat!`select * from chat_room_settings where broadcaster_id = ${host.id}`
    expect((await call(path(viewer.id), { method: 'PATCH', token: viewer.token, json: { emote_mode: true } })).status).toBe(403)
    expect((await call(path(modder.id), { method: 'PATCH', token: host.token, json: { emote_mode: true } })).status).toBe(403)
    for (const json of [
      { slow_mode_wait_time: 2 },
      { slow_mode_wait_time: 121 },
      { follower_mode_duration: 129_601 },
      { follower_mode_duration: -1 },
      { non_moderator_chat_delay_duration: 3 },
      { slow_mode: false, slow_mode_wait_time: 10 },
      { emote_mode: 'yes' },
      { surprise: true },
    ]) {
      expect(await call(path(host.id), { method: 'PATCH', token: host.token, json })).toMatchObject({ status: 400, type: 'application/problem+json' })
    }
    expect(await f.t.sql.chat!`select * from chat_room_settings where broadcaster_id = ${host.id}`).toEqual(before)
  })
})

describe('bans', () => {
  const bans = (moderatorId: string) => `/api/moderation/bans?${q({ broadcaster_id: host.id, moderator_id: moderatorId })}`

  test('ban, list with its reason and moderator, unban; a timeout with expires_at', async () => {
    const banned = await call(bans(modder.id), { method: 'POST', token: modder.token, json: { data: { user_id: stranger.id, reason: 'spam links' } } })
    expect(banned).toMatchObject({ status: 200, body: { data: [{ broadcaster_id: host.id, moderator_id: modder.id, user_id: stranger.id, end_time: null }] } })
    expect((await call(bans(modder.id), { method: 'POST', token: modder.token, json: { data: { user_id: stranger.id } } })).status).toBe(400)
    const timedOut = await call(bans(host.id), { method: 'POST', token: host.token, json: { data: { user_id: viewer.id, duration: 600 } } })
    const endTime = (timedOut.body as { data: { end_time: string }[] }).data[0]!.end_time
    expect(Date.parse(endTime) - Date.now()).toBeGreaterThan(590_000)

    for (const listPath of ['/api/moderation/banned', '/api/moderation/bans']) {
      const list = await call(`${listPath}?${q({ broadcaster_id: host.id })}`, { token: modder.token })
      expect(list).toMatchObject({
        status: 200,
        body: {
          data: [
            { user_id: viewer.id, user_login: 'restviewer', expires_at: endTime, reason: '', moderator_id: host.id, moderator_login: 'resthost' },
            { user_id: stranger.id, user_login: 'reststranger', expires_at: '', reason: 'spam links', moderator_id: modder.id, moderator_login: 'restmod' },
          ],
        },
      })
    }
    const firstPage = await call(`/api/moderation/banned?${q({ broadcaster_id: host.id, first: '1' })}`, { token: host.token })
    const cursor = (firstPage.body as { pagination: { cursor: string } }).pagination.cursor
    const secondPage = await call(`/api/moderation/banned?${q({ broadcaster_id: host.id, first: '1', after: cursor })}`, { token: host.token })
    expect((secondPage.body as { data: { user_id: string }[] }).data.map((b) => b.user_id)).toEqual([stranger.id])
    expect((await call(`/api/moderation/banned?${q({ broadcaster_id: host.id })}`, { token: viewer.token })).status).toBe(403)

    const unban = (userId: string) => `${bans(modder.id)}&user_id=${userId}`
    expect((await call(unban(stranger.id), { method: 'DELETE', token: modder.token })).status).toBe(204)
    expect((await call(unban(stranger.id), { method: 'DELETE', token: modder.token })).status).toBe(400)
    expect((await call(unban(viewer.id), { method: 'DELETE', token: modder.token })).status).toBe(204)
  })

  test('refused: the broadcaster, oneself, durations and reasons out of range — and nothing is written', async () => {
    for (const [token, moderatorId, data] of [
      [modder.token, modder.id, { user_id: host.id }],
      [modder.token, modder.id, { user_id: modder.id }],
      [host.token, host.id, { user_id: viewer.id, duration: 0 }],
      [host.token, host.id, { user_id: viewer.id, duration: 1_209_601 }],
      [host.token, host.id, { user_id: viewer.id, duration: 1.5 }],
      [host.token, host.id, { user_id: viewer.id, reason: 'x'.repeat(501) }],
    ] as const) {
      expect(await call(bans(moderatorId), { method: 'POST', token, json: { data } })).toMatchObject({ status: 400, type: 'application/problem+json' })
    }
    expect((await f.t.sql.chat!`select count(*)::int as n from banned_users where broadcaster_id = ${host.id}`)[0]!.n).toBe(0)
  })

  test('each action is counted in chat_moderation_actions_total by action', async () => {
    const metrics = await (await f.t.request('/metrics')).text()
    expect(metrics).toMatch(/chat_moderation_actions_total\{action="ban"\} [1-9]/)
    expect(metrics).toMatch(/chat_moderation_actions_total\{action="timeout"\} [1-9]/)
    expect(metrics).not.toMatch(new RegExp(`chat_moderation_actions_total\\{[^}]*${host.id}`))
  })
})

describe('messages and blocked terms', () => {
  test('deleting an unknown message is a 404; without message_id the room is cleared', async () => {
    const chatPath = `/api/moderation/chat?${q({ broadcaster_id: host.id, moderator_id: modder.id })}`
    expect((await call(`${chatPath}&message_id=${crypto.randomUUID()}`, { method: 'DELETE', token: modder.token })).status).toBe(404)
    expect((await call(`${chatPath}&message_id=not-a-uuid`, { method: 'DELETE', token: modder.token })).status).toBe(400)
    expect((await call(chatPath, { method: 'DELETE', token: modder.token })).status).toBe(204)
    expect((await call(chatPath, { method: 'DELETE', token: viewer.token })).status).toBe(403)
  })

  test('blocked terms are added once, listed and removed', async () => {
    const path = `/api/moderation/blocked_terms?${q({ broadcaster_id: host.id, moderator_id: modder.id })}`
    const added = await call(path, { method: 'POST', token: modder.token, json: { text: 'Forbidden Word' } })
    expect(added).toMatchObject({ status: 200, body: { data: [{ broadcaster_id: host.id, moderator_id: modder.id, text: 'Forbidden Word', expires_at: null }] } })
    const id = (added.body as { data: { id: string }[] }).data[0]!.id
    expect((await call(path, { method: 'POST', token: modder.token, json: { text: 'forbidden word' } })).body).toMatchObject({ data: [{ id }] })
    expect((await call(path, { method: 'POST', token: modder.token, json: { text: '  x ' } })).status).toBe(400)
    expect(await call(path, { token: modder.token })).toMatchObject({ status: 200, body: { data: [{ id, text: 'Forbidden Word' }] } })
    expect((await call(`${path}&id=${id}`, { method: 'DELETE', token: modder.token })).status).toBe(204)
    expect((await call(`${path}&id=${id}`, { method: 'DELETE', token: modder.token })).status).toBe(404)
  })
})

describe('every moderation route under random input', () => {
  test(
    'never answers 5xx, and a refused request writes nothing',
    async () => {
      const routes: { method: string; path: (id: string) => string }[] = [
        { method: 'GET', path: (id) => `/api/chat/settings?broadcaster_id=${id}&moderator_id=${id}` },
        { method: 'PATCH', path: (id) => `/api/chat/settings?broadcaster_id=${host.id}&moderator_id=${id}` },
        { method: 'PATCH', path: (id) => `/api/chat/settings?broadcaster_id=${id}&moderator_id=${host.id}` },
        { method: 'GET', path: (id) => `/api/moderation/moderators?broadcaster_id=${host.id}&user_id=${id}&first=${id}&after=${id}` },
        { method: 'POST', path: (id) => `/api/moderation/moderators?broadcaster_id=${id}&user_id=${id}` },
        { method: 'DELETE', path: (id) => `/api/moderation/moderators?broadcaster_id=${host.id}&user_id=${id}` },
        { method: 'GET', path: (id) => `/api/channels/vips?broadcaster_id=${id}&user_id=${id}&user_id=${host.id}` },
        { method: 'POST', path: (id) => `/api/channels/vips?broadcaster_id=${host.id}&user_id=${id}` },
        { method: 'DELETE', path: (id) => `/api/channels/vips?broadcaster_id=${id}&user_id=${viewer.id}` },
        { method: 'POST', path: (id) => `/api/moderation/bans?broadcaster_id=${host.id}&moderator_id=${id}` },
        { method: 'POST', path: () => `/api/moderation/bans?broadcaster_id=${host.id}&moderator_id=${host.id}` },
        { method: 'DELETE', path: (id) => `/api/moderation/bans?broadcaster_id=${host.id}&moderator_id=${host.id}&user_id=${id}` },
        { method: 'GET', path: (id) => `/api/moderation/banned?broadcaster_id=${host.id}&first=${id}&after=${id}&user_id=${id}` },
        { method: 'GET', path: (id) => `/api/moderation/bans?broadcaster_id=${id}&after=${Buffer.from(`["${id}","${id}"]`).toString('base64url')}` },
        { method: 'DELETE', path: (id) => `/api/moderation/chat?broadcaster_id=${host.id}&moderator_id=${host.id}&message_id=${id}` },
        { method: 'GET', path: (id) => `/api/moderation/blocked_terms?broadcaster_id=${host.id}&moderator_id=${host.id}&first=${id}&after=${id}` },
        { method: 'POST', path: (id) => `/api/moderation/blocked_terms?broadcaster_id=${id}&moderator_id=${host.id}` },
        { method: 'POST', path: () => `/api/moderation/blocked_terms?broadcaster_id=${host.id}&moderator_id=${host.id}` },
        { method: 'DELETE', path: (id) => `/api/moderation/blocked_terms?broadcaster_id=${host.id}&moderator_id=${host.id}&id=${id}` },
      ]
      const jsonValue = fc.jsonValue({ maxDepth: 3 })
      const nearMiss = fc.record(
        {
          slow_mode: fc.oneof(fc.boolean(), jsonValue),
          slow_mode_wait_time: fc.oneof(fc.integer({ min: -5, max: 200 }), fc.constant(null), jsonValue),
          follower_mode_duration: fc.oneof(fc.integer({ min: -5, max: 200_000 }), jsonValue),
          non_moderator_chat_delay_duration: fc.oneof(fc.integer({ min: 0, max: 8 }), jsonValue),
          subscriber_mode: fc.oneof(fc.boolean(), jsonValue),
          data: fc.oneof(
            fc.record(
              {
                user_id: fc.oneof(fc.constantFrom(viewer.id, host.id, '0', '99999999999999999999', 'x'), jsonValue),
                duration: fc.oneof(fc.integer({ min: -5, max: 2_000_000 }), jsonValue),
                reason: fc.oneof(fc.string({ maxLength: 600 }), jsonValue),
              },
              { requiredKeys: [] },
            ),
            jsonValue,
          ),
          text: fc.oneof(fc.string({ maxLength: 600 }), fc.constantFrom('', ' ', 'ab', '\u0000ab'), jsonValue),
        },
        { requiredKeys: [] },
      )
      const body = hostileBody(nearMiss)
      const id = hostileId(host.id, viewer.id, modder.id)
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...routes),
          id,
          body,
          fc.constantFrom('application/json', 'text/plain', undefined),
          fc.constantFrom<'host' | 'viewer' | 'garbage' | 'none'>('host', 'viewer', 'garbage', 'none'),
          async (route, idValue, payload, contentType, who) => {
            const headers: Record<string, string> = {}
            if (contentType) headers['content-type'] = contentType
            const token = { host: host.token, viewer: viewer.token, garbage: 'a.b.c', none: undefined }[who]
            if (token) headers.authorization = `Bearer ${token}`
            const sent = route.method === 'GET' ? undefined : payload
            expect(await harmOf(f.t, f.t.sql.chat!, route.path(idValue), { method: route.method, headers, body: sent })).toBeUndefined()
          },
        ),
        { numRuns: 400 },
      )
    },
    120_000,
  )
})
