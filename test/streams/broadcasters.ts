import { deliver } from '../../src/platform/testing/events.ts'
import type { TestPlatform } from '../../src/platform/testing/harness.ts'
import { accessTokenFor } from '../../src/platform/testing/tokens.ts'
import { streams } from '../../src/modules/streams/index.ts'

export type Broadcaster = { id: string; login: string; token: string }

/** A user as the users module announces one (so with a channel), and an access token of theirs. */
export async function addBroadcaster(t: TestPlatform, id: string, login: string): Promise<Broadcaster> {
  const { outcome } = await deliver(t, streams, 'users.registered.v1', {
    user_id: id,
    login,
    display_name: login.toUpperCase(),
    created_at: new Date().toISOString(),
    version: 1,
  })
  if (outcome.status !== 'handled') throw new Error(`registering ${login}: ${JSON.stringify(outcome)}`)
  return { id, login, token: await accessTokenFor(t, id, [], { login }) }
}

/** The broadcaster's stream key, read as its owner would. */
export async function streamKeyOf(t: TestPlatform, broadcaster: Broadcaster): Promise<string> {
  const res = await t.request(`/api/streams/key?broadcaster_id=${broadcaster.id}`, { token: broadcaster.token })
  if (res.status !== 200) throw new Error(`stream key of ${broadcaster.login}: ${res.status} ${await res.text()}`)
  return ((await res.json()) as { data: [{ stream_key: string }] }).data[0].stream_key
}

/** Makes the broadcaster live as nginx-rtmp's on_publish would (302 to the login); the live stream's id. */
export async function goLive(t: TestPlatform, secret: string, broadcaster: Broadcaster, clientId: string): Promise<string> {
  const res = await t.request(`/api/ingest/rtmp/${secret}/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ call: 'publish', app: 'ingest', name: await streamKeyOf(t, broadcaster), clientid: clientId }).toString(),
  })
  if (res.status !== 302 || res.headers.get('location') !== broadcaster.login) throw new Error(`publish of ${broadcaster.login}: ${res.status}`)
  const [row] = await t.sql.streams!`select id::text as id from streams where broadcaster_id = ${broadcaster.id} and ended_at is null`
  return row!.id as string
}
