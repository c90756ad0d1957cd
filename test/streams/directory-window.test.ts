/**
 * What keeps GET /api/streams cheap (bench/streams-directory.ts): an unfiltered page reads only
 * the next positions of its snapshot (joining every listed stream made a page cost as much as
 * listing them all), reading on when streams at those positions ended after the snapshot; and
 * the front page is served from memory for a second.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { snapshotDirectory } from '../../src/modules/streams/directory.ts'
import { streams } from '../../src/modules/streams/index.ts'
import { users } from '../../src/modules/users/index.ts'
import { createTestPlatform, type TestPlatform } from '../../src/platform/testing/harness.ts'
import { addBroadcaster, goLive } from './broadcasters.ts'

const SECRET = 'directory-window-secret-0123456789abcdef'
const LIVE = 20

let t: TestPlatform
const ids: string[] = []
beforeAll(async () => {
  t = await createTestPlatform([users, streams], { STREAMS_INGEST_SECRET: SECRET })
  for (let i = 0; i < LIVE; i++) {
    const channel = await addBroadcaster(t, String(601 + i), `win_${String(i).padStart(2, '0')}`)
    ids.push(await goLive(t, SECRET, channel, String(i + 1)))
  }
}, 30_000)
afterAll(() => t.close())

type Page = { data: { id: string }[]; pagination: { cursor?: string } }
const page = async (query: string): Promise<Page> => {
  const res = await t.request(`/api/streams?${query}`)
  expect(res.status).toBe(200)
  return (await res.json()) as Page
}

test('a page whose next positions ended since its snapshot reads on past them, in the snapshot’s order', async () => {
  const first = await page('first=2')
  const [order] = await t.sql.streams!`select stream_ids::text[] as ids from directory_snapshots order by generation desc limit 1`
  const snapshot = order!.ids as string[]
  expect(first.data.map((s) => s.id)).toEqual(snapshot.slice(0, 2))
  // Positions 3–15 end without a new snapshot: the cursor's snapshot still lists them.
  const ended = snapshot.slice(2, 15)
  await t.sql.streams!`update streams set ended_at = now(), end_reason = 'test' where id = any(${ended}::bigint[])`
  const second = await page(`first=2&after=${first.pagination.cursor}`)
  expect(second.data.map((s) => s.id)).toEqual(snapshot.slice(15, 17))
  const rest = await page(`first=10&after=${second.pagination.cursor}`)
  expect(rest.data.map((s) => s.id)).toEqual(snapshot.slice(17))
  expect(rest.pagination.cursor).toBeUndefined()
})

test('an unfiltered page of a long listing stops at its window: the next page starts where it stopped', async () => {
  await t.sql.streams!`update streams set ended_at = null, end_reason = null where broadcaster_id between 601 and ${600 + LIVE}`
  // As the snapshot job would within a second: the latest snapshot lists all of them again.
  await snapshotDirectory(t.sql.streams!)
  const seen: string[] = []
  let cursor: string | undefined
  let pages = 0
  do {
    const next = await page(`first=3${cursor ? `&after=${cursor}` : ''}`)
    seen.push(...next.data.map((s) => s.id))
    cursor = next.pagination.cursor
    pages++
  } while (cursor)
  expect(pages).toBe(Math.ceil(LIVE / 3))
  expect([...seen].sort()).toEqual([...ids].sort())
})

test('the front page is at most a second old; filtered pages are read afresh', async () => {
  const before = (await page('first=4')).data.map((s) => s.id)
  const gone = before[0]!
  await t.sql.streams!`update streams set ended_at = now(), end_reason = 'test' where id = ${gone}`
  await snapshotDirectory(t.sql.streams!)
  expect((await page('first=4')).data.map((s) => s.id)).toEqual(before)
  expect((await page(`first=4&user_id=${601 + ids.indexOf(gone)}`)).data).toEqual([])
  await Bun.sleep(1100)
  const after = (await page('first=4')).data.map((s) => s.id)
  expect(after).not.toContain(gone)
  expect(after.slice(0, 3)).toEqual(before.slice(1))
})
