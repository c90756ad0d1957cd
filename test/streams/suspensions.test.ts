/**
 * Account suspensions in streams, through nginx-rtmp's callbacks as it posts them: the users
 * events (delivered through the real inbox) refuse a publish while in force by the module's
 * clock, and end a live session. The real servers' side is suspension-ingest.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { streams } from '../../src/modules/streams/index.ts'
import { users } from '../../src/modules/users/index.ts'
import { problemType } from '../../src/platform/http/problem.ts'
import { movableClock } from '../../src/platform/testing/clock.ts'
import { deliver, publishedEvents } from '../../src/platform/testing/events.ts'
import { createTestPlatform, type TestPlatform } from '../../src/platform/testing/harness.ts'
import { addBroadcaster, goLive, streamKeyOf, type Broadcaster } from './broadcasters.ts'
import { waitFor } from './wait-for.ts'

const SECRET = 'suspension-secret-0123456789abcdefghijk'
const HOUR_MS = 3_600_000
const clock = movableClock(new Date())
let t: TestPlatform
beforeAll(async () => {
  t = await createTestPlatform([users, streams], { STREAMS_INGEST_SECRET: SECRET }, { clock })
}, 30_000)
afterAll(() => t.close(), 30_000)

let versions = 1
/** Delivers a users suspension event of the next version (or of `version`), as users would publish it. */
async function suspend(who: Broadcaster, endsAt: Date | null = null, version = ++versions) {
  const payload = { user_id: who.id, reason: 'Terms of service', ends_at: endsAt?.toISOString() ?? null, by_user_id: '1', version }
  const { outcome } = await deliver(t, streams, 'users.suspended.v1', payload, { clock })
  expect(outcome).toEqual({ status: 'handled' })
}
async function reinstate(who: Broadcaster, version = ++versions) {
  const { outcome } = await deliver(t, streams, 'users.reinstated.v1', { user_id: who.id, by_user_id: '1', version }, { clock })
  expect(outcome).toEqual({ status: 'handled' })
}
const callback = (name: string, form: Record<string, string>) =>
  t.request(`/api/ingest/rtmp/${SECRET}/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  })
const publish = async (who: Broadcaster, clientId: string) => callback('publish', { call: 'publish', app: 'ingest', name: await streamKeyOf(t, who), clientid: clientId })
const streamRows = async (who: Broadcaster) =>
  (await t.sql.streams!`select end_reason from streams where broadcaster_id = ${who.id} order by id`).map((r) => r.end_reason as string | null)

describe('suspended broadcasters', () => {
  test('on_publish is refused 403 while a suspension is in force, and nothing goes live', async () => {
    const cy = await addBroadcaster(t, '1201', 'susp_cy')
    await suspend(cy)
    const res = await publish(cy, '11')
    expect(res.status).toBe(403)
    expect(((await res.json()) as { type: string }).type).toBe(problemType('broadcaster.suspended'))
    expect(await streamRows(cy)).toEqual([])
    expect((await publishedEvents(t, streams, { type: 'streams.online.v1' })).filter((e) => (e.payload as { broadcaster_id: string }).broadcaster_id === cy.id)).toEqual([])

    // Reinstated: live again.
    await reinstate(cy)
    expect((await publish(cy, '12')).status).toBe(302)
  })

  test('a timed suspension refuses until its ends_at on the module clock, then no longer', async () => {
    const dee = await addBroadcaster(t, '1202', 'susp_dee')
    await suspend(dee, new Date(clock().getTime() + HOUR_MS))
    expect((await publish(dee, '21')).status).toBe(403)
    clock.advance(HOUR_MS + 1000)
    expect((await publish(dee, '22')).status).toBe(302)
  })

  test('the highest version wins whatever the order; a suspension before the registration still holds', async () => {
    const eve = await addBroadcaster(t, '1203', 'susp_eve')
    const later = ++versions
    await reinstate(eve, later)
    await suspend(eve, null, later - 1)
    expect((await publish(eve, '31')).status).toBe(302)

    const early = { id: '1204', login: 'susp_fay', token: '' }
    await suspend(early)
    const fay = await addBroadcaster(t, early.id, early.login)
    expect((await publish(fay, '41')).status).toBe(403)
    expect(await streamRows(fay)).toEqual([])
  })

  test('a suspension while live ends the session (offline, reason suspended) and its updates are answered 404', async () => {
    const gus = await addBroadcaster(t, '1205', 'susp_gus')
    const streamId = await goLive(t, SECRET, gus, '51')
    await suspend(gus)
    expect(await streamRows(gus)).toEqual(['suspended'])
    const offline = (await publishedEvents(t, streams, { type: 'streams.offline.v1' })).map((e) => e.payload as { stream_id: string; reason: string })
    expect(offline.filter((p) => p.stream_id === streamId)).toEqual([expect.objectContaining({ reason: 'suspended' })])
    const listed = (await (await t.request('/api/streams?user_login=susp_gus')).json()) as { data: unknown[] }
    expect(listed.data).toEqual([])
    const update = await callback('update', { call: 'update_publish', app: 'ingest', name: await streamKeyOf(t, gus), clientid: '51' })
    expect(update.status).toBe(404)
    // The cut owed at the media server is taken by the job (no control URL here: nothing more to do).
    await waitFor('the owed cut taken', async () => (await t.sql.streams!`select count(*)::int as n from media_cuts`)[0]!.n === 0, 5000)
    // A redelivery (same version) changes nothing.
    await suspend(gus, null, versions)
    expect(await streamRows(gus)).toEqual(['suspended'])
  })

  test('a timed suspension delivered after its end leaves a live session alone', async () => {
    const hal = await addBroadcaster(t, '1206', 'susp_hal')
    await goLive(t, SECRET, hal, '61')
    await suspend(hal, new Date(Date.now() - 60_000))
    expect(await streamRows(hal)).toEqual([null])
    expect((await t.sql.streams!`select count(*)::int as n from media_cuts`)[0]!.n).toBe(0)
  })

  test('in force on arrival is judged by the module clock, not the database’s', async () => {
    const ivy = await addBroadcaster(t, '1207', 'susp_ivy')
    await goLive(t, SECRET, ivy, '71')
    clock.advance(2 * HOUR_MS)
    // Ahead of the database's time, behind the module's: it has ended.
    await suspend(ivy, new Date(Date.now() + HOUR_MS))
    expect(await streamRows(ivy)).toEqual([null])
    // Ahead of both: it ends the session.
    await suspend(ivy, new Date(clock().getTime() + HOUR_MS))
    expect(await streamRows(ivy)).toEqual(['suspended'])
  })
})
